"""Many clients at once through a live HTTP server, on SQLite and PostgreSQL: one scanner hammered by
bookings of different clinicians, and one radiation oncologist wanted by joint visits of different
neurosurgeons and by their own consults at the same time. Exactly one booking wins each race, the rest
get 409, and the database holds no two overlapping reservations of one clinician or one resource."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import text

from televisit.extensions import db
from televisit.models import AvailabilityRule, Patient
from tests import factories as f
from tests.integration.test_concurrency import _fire, live  # noqa: F401  (the live server fixture)

pytestmark = pytest.mark.slow
START = "2027-03-09T10:00:00-05:00"  # a Tuesday, a week after the suite's clock
OVERLAPS = text(
    "SELECT count(*) FROM reservations a JOIN reservations b ON a.id < b.id"
    " AND a.block_start < b.block_end AND b.block_start < a.block_end AND a.holding AND b.holding"
    " AND ((a.clinician_id = b.clinician_id) OR (a.resource_id = b.resource_id))"
)
HOURS = [(wd, 8 * 60, 17 * 60) for wd in range(5)]


def _rules(site):
    return [
        AvailabilityRule(location_id=site, weekday=wd, start_minute=a, end_minute=b, modes=["in_person"])
        for wd, a, b in HOURS
    ]


def _patients(n: int) -> list[int]:
    now = datetime(2027, 3, 1, tzinfo=timezone.utc)
    people = [Patient(name=f"P{i}", timezone="America/New_York", region="US-OH", created_at=now) for i in range(n)]
    db.session.add_all(people)
    db.session.commit()
    return [p.id for p in people]


def _headers(base: str) -> dict:
    r = requests.post(
        f"{base}/api/v1/auth/token", json={"email": "sched@example.org", "password": f.PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _admin(base: str) -> dict:
    r = requests.post(
        f"{base}/api/v1/auth/token", json={"email": "admin@example.org", "password": f.PASSWORD}, timeout=30
    )
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _visit_type(base, admin, name, **extra) -> int:
    body = {"name": name, "duration_minutes": 60, "modes": ["in_person"], "max_advance_days": 365, **extra}
    r = requests.post(f"{base}/api/v1/visit-types", json=body, headers=admin, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _clinicians(site, specialty: str, n: int, visit_type_ids: list[int]) -> list[int]:
    from televisit.models import VisitType

    types = [db.session.get(VisitType, v) for v in visit_type_ids]
    made = []
    for i in range(n):
        c = f.clinician(f"Dr. {specialty} {i}", specialty=specialty, visit_types=types, rules=[])
        c.rules = _rules(site)
        made.append(c)
    db.session.commit()
    return [c.id for c in made]


def _one_winner(results) -> None:
    statuses = Counter(code for code, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] == 1, statuses
    for code, body in results:
        if code == 409:
            assert body["error"]["code"] == "slot_unavailable"
            assert body["error"]["reason"] in ("taken", "no_resource", "no_team")
    db.session.rollback()
    assert db.session.execute(OVERLAPS).scalar_one() == 0


def _world(base):
    site = f.location().id
    f.user("sched@example.org", "scheduler")
    f.user("admin@example.org", "admin")
    admin = _admin(base)
    return site, admin


def test_one_scanner_many_clinicians_one_winner(live):  # noqa: F811
    site, admin = _world(live)
    r = requests.post(
        f"{live}/api/v1/resources",
        json={"name": "MRI", "kind": "mri", "location_id": site},
        headers=admin,
        timeout=30,
    )
    rid = r.json()["id"]
    hours = [{"weekday": wd, "start": "08:00", "end": "17:00"} for wd in range(5)]
    requests.put(f"{live}/api/v1/resources/{rid}/availability", json={"rules": hours}, headers=admin, timeout=30)
    mri = _visit_type(live, admin, "MRI", resource_kinds=["mri"])
    doctors = _clinicians(site, "neuroradiology", 8, [mri])
    patients = _patients(16)
    db.session.close()
    bodies = [
        {
            "visit_type_id": mri,
            "clinician_id": doctors[i % 8],
            "location_id": site,
            "mode": "in_person",
            "start": START,
            "patient_id": patients[i],
        }
        for i in range(16)
    ]
    _one_winner(_fire(live, _headers(live), bodies))


def test_one_radiation_oncologist_wanted_by_joint_visits_and_consults_one_winner(live):  # noqa: F811
    site, admin = _world(live)
    joint = _visit_type(live, admin, "Joint", team_specialties=["neurosurgery", "radiation_oncology"])
    consult = _visit_type(live, admin, "Consult")
    surgeons = _clinicians(site, "neurosurgery", 4, [joint, consult])
    (radonc,) = _clinicians(site, "radiation_oncology", 1, [joint, consult])
    patients = _patients(16)
    db.session.close()
    joints = [
        {
            "visit_type_id": joint,
            "clinician_id": surgeons[i % 4],
            "location_id": site,
            "mode": "in_person",
            "start": START,
            "patient_id": patients[i],
        }
        for i in range(8)
    ]
    consults = [
        {
            "visit_type_id": consult,
            "clinician_id": radonc,
            "location_id": site,
            "mode": "in_person",
            "start": START,
            "patient_id": patients[8 + i],
        }
        for i in range(8)
    ]
    _one_winner(_fire(live, _headers(live), joints + consults))
