"""The audit trail: an event for each kind of access to patient data, admins only, never editable."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from televisit.extensions import db
from televisit.models import AuditEvent
from televisit.web.audit import NOT_PATIENT_DATA, ROUTES
from tests import factories as f

START = "2027-03-08T09:00:00-05:00"


def _mark() -> int:
    """The newest event id so far (the table outlives each test: it cannot be wiped)."""
    db.session.commit()
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def _since(mark: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > mark).order_by(AuditEvent.id)))


def _book(client, p, headers) -> dict:
    body = {
        "visit_type_id": p.consult.id,
        "clinician_id": p.us_doc.id,
        "location_id": p.cleveland.id,
        "mode": "in_person",
        "start": START,
    }
    r = client.post("/api/v1/appointments", json=body, headers=headers)
    assert r.status_code == 201, r.json
    return r.json


def test_every_route_is_declared_audited_or_not(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ROUTES) - NOT_PATIENT_DATA == set(), "declare each new route in televisit/web/audit.py"
    assert set(ROUTES) & NOT_PATIENT_DATA == set()


def test_api_reads_and_changes_are_recorded_with_who_and_where(client):
    p = f.program()
    pat = f.token(client, "pat@example.org")
    mark = _mark()
    appt = _book(client, p, pat)
    ua = {"User-Agent": "AuditTest/1.0", "X-Request-ID": "req-0123456789"}
    client.get(f"/api/v1/appointments/{appt['id']}", headers=pat | ua, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    client.get("/api/v1/appointments", headers=pat)
    client.get(f"/api/v1/appointments/{appt['id']}/calendar.ics", headers=pat)
    client.post(
        f"/api/v1/appointments/{appt['id']}/reschedule", json={"start": "2027-03-08T10:00:00-05:00"}, headers=pat
    )
    client.post(f"/api/v1/appointments/{appt['id']}/cancel", json={}, headers=pat)
    events = _since(mark)
    assert [e.action for e in events] == [
        "appointment.create",
        "appointment.read",
        "appointment.list",
        "appointment.ics",
        "appointment.reschedule",
        "appointment.cancel",
    ]
    user = p.users["patient"]
    assert all(e.user_id == user.id and e.role == "patient" and e.channel == "api" for e in events)
    assert all(e.patient_id == user.patient_id for e in events)
    read = events[1]
    assert (read.object_type, read.object_id, read.outcome) == ("appointment", appt["id"], 200)
    assert (read.ip, read.user_agent, read.request_id) == ("203.0.113.9", "AuditTest/1.0", "req-0123456789")
    assert events[0].object_id == appt["id"]


def test_a_booking_writes_its_event_once_and_a_refused_one_records_the_refusal(client):
    p = f.program()
    pat = f.token(client, "pat@example.org")
    mark = _mark()
    appt = _book(client, p, pat)
    (made,) = _since(mark)  # written in the booking's own transaction, and only once
    assert (made.action, made.object_id, made.outcome) == ("appointment.create", appt["id"], 201)
    assert made.patient_id == appt["patient_id"]
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    r = client.post("/api/v1/appointments", json=body | {"mode": "in_person", "start": START}, headers=pat)
    assert r.status_code == 409
    (refused,) = _since(made.id)  # recorded after the request, as every other refusal
    assert (refused.action, refused.object_id, refused.outcome) == ("appointment.create", None, 409)


def test_refused_attempts_are_recorded_too(client):
    p = f.program()
    appt = _book(client, p, f.token(client, "pat@example.org"))
    mark = _mark()
    r = client.get(f"/api/v1/appointments/{appt['id']}", headers=f.token(client, "other@example.org"))
    assert r.status_code == 404
    (event,) = _since(mark)
    assert (event.user_id, event.outcome, event.patient_id) == (p.users["other"].id, 404, p.users["patient"].patient_id)


def test_pages_links_and_feeds_are_recorded(client):
    from televisit import clock
    from televisit.services.auth import actor_of
    from televisit.services.messaging import feeds, links

    p = f.program()
    appt = _book(client, p, f.token(client, "pat@example.org"))
    client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    mark = _mark()
    client.get(f"/appointments/{appt['id']}")
    client.get(f"/appointments/{appt['id']}/calendar.ics")
    secret = client.application.config["SECRET_KEY"]
    token = links.sign(secret, "view", appt["id"], 0, clock.now().replace(year=2028))
    with client.application.app_context():  # signed out: the link alone speaks
        client.application.test_client().get(f"/l/view/{token}")
    feed = feeds.create(db.session, p.us_doc.id, actor=actor_of(p.users["admin"]), now=clock.now())
    client.get(f"/calendar/{feed}.ics")
    events = _since(mark)
    got = [(e.action, e.channel, e.object_id) for e in events]
    assert got == [
        ("appointment.read", "page", appt["id"]),
        ("appointment.ics", "page", appt["id"]),
        ("appointment.read", "link", appt["id"]),
        ("appointment.feed", "feed", None),
    ]
    assert events[2].role == "link" and events[2].patient_id == p.users["patient"].patient_id


def test_desk_and_intake_pages_are_recorded(client):
    p = f.program()
    f.token(client, "sched@example.org")
    client.post("/login", data={"email": "sched@example.org", "password": f.PASSWORD})
    mark = _mark()
    patient_id = p.users["patient"].patient_id
    client.get(f"/schedule/book/{patient_id}")
    client.get("/schedule/urgent")
    events = _since(mark)
    assert [(e.action, e.patient_id, e.role) for e in events] == [
        ("patient.read", patient_id, "scheduler"),
        ("intake.list", None, "scheduler"),
    ]


def test_waiting_room_events_are_recorded(client):
    from datetime import datetime

    from televisit import clock
    from televisit.extensions import socketio

    p = f.program()
    pat = f.token(client, "pat@example.org")
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "virtual", "start": START, "patient_region": "US-OH"}
    appt = client.post("/api/v1/appointments", json=body, headers=pat).json
    clock.freeze(datetime.fromisoformat("2027-03-08T08:45:00-05:00"))
    pat = f.token(client, "pat@example.org")  # the first one has expired by now
    user_id, patient_id = p.users["patient"].id, p.users["patient"].patient_id  # the handlers end our session
    mark = _mark()
    sock = socketio.test_client(
        client.application, namespace="/waiting-room", auth={"token": pat["Authorization"].split()[1]}
    )
    ack = sock.emit(
        "check_in",
        {"appointment_id": appt["id"], "region": "US-OH", "consent": True},
        namespace="/waiting-room",
        callback=True,
    )
    assert ack["ok"], ack
    sock.disconnect("/waiting-room")
    (event,) = _since(mark)
    assert (event.action, event.channel, event.object_id, event.outcome) == (
        "waiting_room.check_in",
        "socket",
        appt["id"],
        200,
    )
    assert (event.user_id, event.patient_id) == (user_id, patient_id)


def test_admins_read_and_filter_the_trail_others_are_refused(client):
    p = f.program()
    pat = f.token(client, "pat@example.org")
    appt = _book(client, p, pat)
    mark = _mark()
    client.get(f"/api/v1/appointments/{appt['id']}", headers=pat)
    admin = f.token(client, "admin@example.org")
    for who in ("pat@example.org", "sched@example.org", "cle@example.org"):
        assert client.get("/api/v1/audit", headers=f.token(client, who)).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401
    q = f"/api/v1/audit?appointment_id={appt['id']}&action=appointment.read&from=2027-03-01&to=2027-03-01"
    r = client.get(q, headers=admin)
    assert r.status_code == 200, r.json
    events = r.json["events"]  # newest first (older tests' events stay: the table cannot be wiped)
    assert all((e["action"], e["object_id"]) == ("appointment.read", appt["id"]) for e in events)
    mine = [e for e in events if e["id"] > mark]
    assert len(mine) == 1 and mine[0]["user_id"] == p.users["patient"].id and mine[0]["at"].startswith("2027-03-01T")
    by_user = client.get(f"/api/v1/audit?user_id={p.users['patient'].id}&per_page=1", headers=admin).json
    assert len(by_user["events"]) == 1 and by_user["total"] >= 2
    by_patient = client.get(f"/api/v1/audit?patient_id={p.users['patient'].patient_id}", headers=admin).json
    assert by_patient["total"] >= 2
    assert client.get("/api/v1/audit?from=2027-03-02&to=2027-03-01", headers=admin).status_code == 422
    client.post("/login", data={"email": "admin@example.org", "password": f.PASSWORD})
    page = client.get(f"/admin/audit?appointment_id={appt['id']}")
    assert page.status_code == 200 and b"appointment.read" in page.data


def test_the_admin_page_is_for_admins_only(client):
    f.program()
    client.post("/login", data={"email": "sched@example.org", "password": f.PASSWORD})
    assert client.get("/admin/audit").status_code == 403


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_edit_the_trail(client, statement):
    p = f.program()
    _book(client, p, f.token(client, "pat@example.org"))
    mark = _mark()
    assert mark > 0
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(f"{statement} WHERE id = :id"), {"id": mark})
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, mark).action == "appointment.create"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # TRUNCATE is PostgreSQL's (SQLite has none)
def test_postgresql_refuses_truncate(client):
    assert db.engine.dialect.name == "postgresql"
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_events"))
    db.session.rollback()
