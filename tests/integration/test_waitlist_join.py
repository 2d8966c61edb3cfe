"""Joining and leaving the waitlist through the API: who may, for which appointments, idempotently."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from televisit import clock
from televisit.extensions import db
from televisit.models import WaitlistEntry
from tests import factories as f
from tests.conftest import NOW
from tests.integration.test_waitlist_support import API, World, at


def entries(appointment_id: int) -> list[str]:
    db.session.expire_all()
    stmt = select(WaitlistEntry.status).where(WaitlistEntry.appointment_id == appointment_id)
    return list(db.session.scalars(stmt))


def world_with(m, *keys):
    w = World(m)
    ids = {}
    for i, key in enumerate(keys):
        w.person(key, login=True)
        ids[key] = w.book(key, at(8, 10 + i))
    return w, ids


def test_owner_joins_idempotently_and_leaves(messaging):
    w, ids = world_with(messaging, "a")
    first = w.join("a", ids["a"])
    assert first.status_code == 201
    assert first.json == {"appointment_id": ids["a"], "status": "waiting"}
    again = w.join("a", ids["a"])
    assert again.status_code == 201 and again.json["status"] == "waiting"
    assert entries(ids["a"]) == ["waiting"]  # one row, not two
    url = f"{API}/appointments/{ids['a']}/waitlist"
    left = messaging.client.delete(url, headers=w.people["a"].headers)
    assert left.status_code == 204
    assert entries(ids["a"]) == ["withdrawn"]
    assert messaging.client.delete(url, headers=w.people["a"].headers).status_code == 204  # leaving twice is fine
    assert w.join("a", ids["a"]).status_code == 201
    assert entries(ids["a"]) == ["waiting"]


def test_another_patient_gets_404_and_changes_nothing(messaging):
    w, ids = world_with(messaging, "a", "b")
    w.join("a", ids["a"])
    r = w.join("b", ids["a"])
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    url = f"{API}/appointments/{ids['a']}/waitlist"
    assert messaging.client.delete(url, headers=w.people["b"].headers).status_code == 404
    assert entries(ids["a"]) == ["waiting"]  # B's leave did not withdraw A
    assert w.join("b", 99999).status_code == 404
    assert messaging.client.post(url).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(WaitlistEntry)) == 1


def test_staff_may_join_for_a_patient(messaging):
    w, ids = world_with(messaging, "a")
    r = messaging.client.post(f"{API}/appointments/{ids['a']}/waitlist", headers=w.staff)
    assert r.status_code == 201 and r.json["status"] == "waiting"
    assert entries(ids["a"]) == ["waiting"]


def test_a_cancelled_appointment_cannot_join_and_cancelling_withdraws(messaging):
    w, ids = world_with(messaging, "a", "b")
    w.join("a", ids["a"])
    w.cancel(ids["a"])
    assert entries(ids["a"]) == ["withdrawn"]  # a cancelled visit waits for nothing
    r = w.join("a", ids["a"])
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    assert entries(ids["a"]) == ["withdrawn"]
    w.cancel(ids["b"])
    assert w.join("b", ids["b"]).status_code == 409
    assert entries(ids["b"]) == []


def test_a_past_appointment_cannot_join(messaging):
    w, ids = world_with(messaging, "a", "b")
    assert w.join("b", ids["b"]).status_code == 201  # b is at 11:00 on the 8th, still ahead
    clock.freeze(at(8, 10) + timedelta(minutes=1))  # a (10:00) has started
    try:
        w.people["a"].headers = f.token(messaging.client, "a@example.org")  # a week on: sign in again
        r = w.join("a", ids["a"])
        assert r.status_code == 409
        assert entries(ids["a"]) == []
    finally:
        clock.freeze(NOW)
