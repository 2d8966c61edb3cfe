"""A joint visit team on the waiting-room world's live server, made through the JSON API as an admin would.

A joint "Spine team consult" (30 minutes, virtual, a neurosurgeon and a radiation oncologist), Dr. Neuro
(neurosurgery, licensed in Ohio and Florida) and Dr. Rad (radiation oncology, Ohio only), both working Monday
mornings at the Cleveland site; Dr. Rad also sees 10-minute "Radiation check" visits alone. Dr. Cleveland
("doc") stays an outsider to every joint visit.
"""

from __future__ import annotations

from dataclasses import dataclass

from televisit.extensions import db
from tests import factories as f
from tests.support.waiting_world import World, at


@dataclass(frozen=True)
class Team:
    """The ids the tests need."""

    joint: int  # the joint visit type
    single: int  # Dr. Rad's own short visit type
    neuro: int
    rad: int


def _post(w: World, path: str, token: str, body: dict) -> dict:
    r = w.server.api("POST", path, token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def add_team(w: World) -> Team:
    """Create the visit types, the two clinicians, their hours and their sign-ins (through the live server)."""
    f.user("admin@x.org", "admin")
    db.session.commit()
    admin = w.token("admin")
    base = {"modes": ["virtual"], "max_advance_days": 365}
    joint = _post(
        w,
        "/visit-types",
        admin,
        base
        | {
            "name": "Spine team consult",
            "duration_minutes": 30,
            "team_specialties": ["neurosurgery", "radiation_oncology"],
        },
    )["id"]
    single = _post(w, "/visit-types", admin, base | {"name": "Radiation check", "duration_minutes": 10})["id"]
    people = {}
    for key, name, specialty, types, licenses in (
        ("neuro", "Dr. Neuro", "neurosurgery", [joint], ["US-OH", "US-FL"]),
        ("rad", "Dr. Rad", "radiation_oncology", [joint, single], ["US-OH"]),
    ):
        body = {
            "name": name,
            "specialty": specialty,
            "licenses": licenses,
            "visit_type_ids": types,
            "email": f"{key}@x.org",
        }
        people[key] = _post(w, "/clinicians", admin, body)["id"]
        rule = {"location_id": w.ids["location"], "weekday": 0, "start": "08:00", "end": "12:00", "modes": ["virtual"]}
        r = w.server.api("PUT", f"/clinicians/{people[key]}/availability", admin, json={"rules": [rule]})
        assert r.status_code == 200, r.text
        f.user(f"{key}@x.org", "clinician", name=name)  # linked to the clinician record by its email
    db.session.commit()
    return Team(joint, single, people["neuro"], people["rad"])


def book(w: World, visit_type_id: int, clinician_id: int, who: str, hhmm: str) -> dict:
    """Book `who` through POST /api/v1/appointments as the scheduler; returns the appointment as the API does."""
    body = {
        "visit_type_id": visit_type_id,
        "clinician_id": clinician_id,
        "location_id": w.ids["location"],
        "mode": "virtual",
        "start": at(hhmm).isoformat(),
        "patient_id": w.ids[who],
        "patient_region": "US-OH",
    }
    return _post(w, "/appointments", w.token("sched"), body)


def book_joint(w: World, team: Team, who: str, hhmm: str) -> int:
    """A joint visit for `who`, led by Dr. Neuro with Dr. Rad attending; returns its id."""
    appt = book(w, team.joint, team.neuro, who, hhmm)
    assert appt["clinician_ids"] == [team.neuro, team.rad], appt
    return appt["id"]
