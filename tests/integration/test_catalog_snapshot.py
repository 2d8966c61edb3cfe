"""The catalog held in memory (services/booking/snapshot.py): the database's stamp says when it is stale.

Every change to a catalog table must give a new stamp, in the changing transaction, and a stamp must
never come back (not even after a rollback), so a process can never reuse a catalog that is not the
one in the database. What other writes do must not matter.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from televisit.extensions import db
from televisit.models import AvailabilityRule, TimeOff
from televisit.services.booking import snapshot as catalog_snapshot
from tests import factories as f
from tests.conftest import NOW, _make_app

MON_9 = "2027-03-08T09:00:00-05:00"
MON_10 = "2027-03-08T10:00:00-05:00"


def _stamp() -> str:
    value = catalog_snapshot.read_stamp(db.session)
    db.session.commit()
    return value


def _rename_site(p):
    p.cleveland.name = "Cleveland Main Campus"


def _lengthen_visit(p):
    p.consult.duration_minutes = 90


def _license(p):
    p.us_doc.licenses = ["US-OH", "US-FL", "US-PA"]


def _withdraw_offer(p):
    p.us_doc.visit_types = []


def _shorten_hours(p):
    p.us_doc.rules[0].end_minute = 10 * 60


def _add_rule(p):
    db.session.add(AvailabilityRule(clinician_id=p.us_doc.id, location_id=p.cleveland.id, weekday=2, start_minute=540,
                                    end_minute=600, modes=["virtual"]))  # fmt: skip


def _new_site(p):
    f.location("Weston", "Weston", "US-FL", "US", "America/New_York")


def _remove_clinician(p):
    db.session.delete(p.uk_doc)


CHANGES = [_rename_site, _lengthen_visit, _license, _withdraw_offer, _shorten_hours, _add_rule, _new_site]


@pytest.mark.parametrize("change", [*CHANGES, _remove_clinician], ids=lambda c: c.__name__.strip("_"))
def test_every_change_to_the_catalog_gives_a_new_stamp(app, change):
    p = f.program()
    before = _stamp()
    change(p)
    db.session.commit()
    assert _stamp() != before


def test_other_writes_keep_the_stamp(app, client):
    p = f.program()
    before = _stamp()
    h = f.token(client, "sched@example.org")
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "in_person", "start": MON_9, "patient_id": p.users["other"].patient_id}
    assert client.post("/api/v1/appointments", json=body, headers=h).status_code == 201
    db.session.add(
        TimeOff(clinician_id=p.us_doc.id, start_at=NOW + timedelta(days=30), end_at=NOW + timedelta(days=31))
    )
    db.session.commit()
    assert _stamp() == before


def test_emptying_a_table_gives_a_new_stamp(app):
    f.program()
    before = _stamp()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE availability_rules"))  # no row triggers fire: the statement's does
    else:
        db.session.execute(text("DELETE FROM availability_rules"))
    db.session.commit()
    assert _stamp() != before


def test_a_rolled_back_change_is_never_served_afterwards(app):
    p = f.program()
    committed = catalog_snapshot.current(db.session)
    db.session.commit()
    _shorten_hours(p)
    db.session.flush()
    inside = catalog_snapshot.current(db.session)  # sees its own transaction's change
    assert inside.stamp != committed.stamp
    assert inside.clinicians[p.us_doc.id].rules_at(p.cleveland.id)[0].end_minute == 600
    db.session.rollback()
    after = catalog_snapshot.current(db.session)
    assert after.stamp == committed.stamp != inside.stamp
    assert after.clinicians[p.us_doc.id].rules_at(p.cleveland.id)[0].end_minute == 720


def test_a_stamp_that_moves_during_a_load_is_not_kept(app, monkeypatch):
    p = f.program()
    held = catalog_snapshot.current(db.session)
    stamps = iter(f"moving-{i}" for i in range(100))
    monkeypatch.setattr(catalog_snapshot, "read_stamp", lambda session: next(stamps))
    snap = catalog_snapshot.current(db.session)
    assert snap.stamp is None  # used for this request only
    assert p.us_doc.id in snap.clinicians
    monkeypatch.undo()
    assert catalog_snapshot.current(db.session) is held  # what the process holds is unchanged


def test_the_same_stamp_reuses_the_snapshot_without_reading_the_catalog(app):
    f.program()
    first = catalog_snapshot.current(db.session)
    db.session.commit()
    assert catalog_snapshot.current(db.session) is first


def _slots(client, ids: dict) -> set[str]:
    q = {"visit_type_id": ids["vt"], "from": "2027-03-08", "to": "2027-03-08", "clinician_id": ids["doc"]}
    r = client.get("/api/v1/slots", query_string=q | {"tz": "America/New_York"})
    assert r.status_code == 200, r.json
    return {s["start"] for s in r.json["slots"]}


def test_a_change_made_by_another_process_reaches_its_search_and_booking_at_once(app, client, db_url):
    p = f.program()
    ids = {"vt": p.consult.id, "doc": p.us_doc.id, "site": p.cleveland.id, "patient": p.users["other"].patient_id}
    h = f.token(client, "sched@example.org")
    assert _slots(client, ids) == {MON_9, MON_10, "2027-03-08T11:00:00-05:00"}
    db.session.commit()  # SQLite: no transaction of ours may stay open while the other process writes
    other = _make_app(db_url)  # another process: its own engine, so its own snapshot
    admin = other.test_client()
    rules = [{"location_id": ids["site"], "weekday": 0, "start": "09:00", "end": "10:00", "modes": ["in_person"]}]
    r = admin.put(
        f"/api/v1/clinicians/{ids['doc']}/availability",
        json={"rules": rules},
        headers=f.token(admin, "admin@example.org"),
    )
    assert r.status_code == 200, r.json
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    assert _slots(client, ids) == {MON_9}
    body = {"visit_type_id": ids["vt"], "clinician_id": ids["doc"], "location_id": ids["site"], "mode": "in_person"}
    r = client.post("/api/v1/appointments", json=body | {"start": MON_10, "patient_id": ids["patient"]}, headers=h)
    assert r.status_code == 409 and r.json["error"]["reason"] == "outside_hours", r.json
