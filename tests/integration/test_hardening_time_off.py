"""Issue 12, item 15: time off over booked visits (API.md, "Limits every client can rely on").

Through the API: 409 `conflicts` listing the visits and writing nothing; `"affected": "keep"` keeps them;
`"affected": "cancel"` cancels each through the cancel path (one cancellation per patient and channel in the
outbox, the freed time recorded, a wait for an earlier slot withdrawn), all in one transaction; any other value
is 422. At the desk: the visits are listed and nothing is saved until the scheduler chooses. The clinician's
day shows the time off instead of those hours. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment, AuditEvent, FreedSlot, OutboxMessage, TimeOff, WaitlistEntry
from tests import factories as f
from tests.conftest import NOW
from tests.support.desk_world import MON_9_EST, MON_10_EST, book, page, sign_in

MON = "2027-03-08"
PHONE = "+12165550123"


def _url(p) -> str:
    return f"/api/v1/clinicians/{p.us_doc.id}/time-off"


def _day_off(p, **extra) -> dict:
    return {"location_id": p.cleveland.id, "date": MON, **extra}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _statuses(*ids: int) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Appointment, i).status for i in ids]


def _cancellations(appointment_id: int) -> list[str]:
    """The channels of the cancellation messages planned for one appointment."""
    stmt = select(OutboxMessage.channel).where(
        OutboxMessage.appointment_id == appointment_id, OutboxMessage.rule == "cancelled"
    )
    return sorted(db.session.scalars(stmt))


def _world(client):
    """The program, the Ohio patient reachable by text too, and two visits with Dr. Cleveland on Monday 8 March
    (09:00 and 10:00 EST) plus one with Mr. London that day (not his time off)."""
    p = f.program()
    p.users["other"].patient.phone = PHONE
    db.session.commit()
    ids = [book(client, p, "other", MON_9_EST), book(client, p, "patient", MON_10_EST, mode="in_person")]
    london = book(client, p, "patient", "2027-03-08T09:00:00+00:00", doc=p.uk_doc)
    return p, f.token(client, "sched@example.org"), ids, london


def test_time_off_over_booked_visits_is_409_listing_them_and_writes_nothing(client):
    p, h, ids, london = _world(client)
    messages = _count(OutboxMessage)
    r = client.post(_url(p), json=_day_off(p, reason="Conference"), headers=h)
    assert r.status_code == 409, r.json
    assert r.json["error"]["code"] == "conflicts" and r.json["error"]["fields"] == {}
    assert r.json["error"]["message"]
    assert r.json["appointments"] == ids
    assert _count(TimeOff) == 0 and _count(OutboxMessage) == messages and _count(FreedSlot) == 0
    assert _statuses(*ids, london) == ["booked"] * 3

    part = {"start": "2027-03-08T09:30:00-05:00", "end": "2027-03-08T09:45:00-05:00"}  # inside the 09:00 visit
    r = client.post(_url(p), json=part, headers=h)
    assert (r.status_code, r.json["appointments"]) == (409, ids[:1])
    assert _count(TimeOff) == 0


def test_time_off_touching_a_visit_or_over_ended_and_cancelled_ones_is_added(client):
    p, h, ids, _ = _world(client)
    before = {"start": "2027-03-08T08:00:00-05:00", "end": "2027-03-08T09:00:00-05:00"}  # ends as the visit starts
    r = client.post(_url(p), json=before, headers=h)
    assert r.status_code == 201, r.json
    assert r.json["affected"] == []
    client.post(f"/api/v1/appointments/{ids[0]}/cancel", json={"reason": "Patient asked"}, headers=h)
    over_cancelled = {"start": "2027-03-08T09:00:00-05:00", "end": "2027-03-08T10:00:00-05:00"}
    r = client.post(_url(p), json=over_cancelled, headers=h)
    assert (r.status_code, r.json["affected"]) == (201, [])


def test_keep_adds_the_time_off_and_leaves_the_visits_booked(client):
    p, h, ids, london = _world(client)
    r = client.post(_url(p), json=_day_off(p, affected="keep"), headers=h)
    assert r.status_code == 201, r.json
    assert r.json["affected"] == ids and r.json["location_id"] == p.cleveland.id
    assert (r.json["start"], r.json["end"]) == ("2027-03-08T05:00:00+00:00", "2027-03-09T05:00:00+00:00")
    assert _statuses(*ids, london) == ["booked"] * 3
    assert all(_cancellations(i) == [] for i in ids)
    assert _count(TimeOff) == 1


def test_cancel_cancels_each_visit_through_the_cancel_path_in_one_transaction(client):
    p, h, ids, london = _world(client)
    wait = client.post(f"/api/v1/appointments/{ids[1]}/waitlist", headers=f.token(client, "pat@example.org"))
    assert wait.status_code in (200, 201), wait.json
    db.session.commit()
    mark = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
    r = client.post(_url(p), json=_day_off(p, affected="cancel", reason="Conference"), headers=h)
    assert r.status_code == 201, r.json
    assert r.json["affected"] == ids
    assert _statuses(*ids, london) == ["cancelled", "cancelled", "booked"]
    # each patient is told once on each of their channels (Ohio: email and text; London: email)
    assert _cancellations(ids[0]) == ["email", "sms"]
    assert _cancellations(ids[1]) == ["email"]
    assert _cancellations(london) == []
    # as for any cancel: no reminder left to go out, the time recorded as freed, the wait withdrawn
    pending = select(OutboxMessage.rule).where(
        OutboxMessage.appointment_id.in_(ids), OutboxMessage.status == "pending", OutboxMessage.rule != "cancelled"
    )
    assert list(db.session.scalars(pending)) == []
    freed = db.session.scalars(select(FreedSlot.start_at).order_by(FreedSlot.start_at)).all()
    assert [s.isoformat() for s in freed] == ["2027-03-08T14:00:00+00:00", "2027-03-08T15:00:00+00:00"]
    assert db.session.scalars(select(WaitlistEntry.status)).all() == ["withdrawn"]
    db.session.expire_all()
    assert db.session.get(Appointment, ids[0]).cancel_reason == "Clinician time off: Conference"
    # the audit trail: each visit's cancellation (with its patient), and the time off itself
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > mark).order_by(AuditEvent.id)).all()
    patients = [p.users["other"].patient_id, p.users["patient"].patient_id]
    assert [(e.action, e.object_id, e.patient_id, e.role) for e in events] == [
        ("appointment.cancel", ids[0], patients[0], "scheduler"),
        ("appointment.cancel", ids[1], patients[1], "scheduler"),
        ("clinician.time_off", p.us_doc.id, None, "scheduler"),
    ]
    # the same request again cancels nothing more and says so
    r = client.post(_url(p), json=_day_off(p, affected="cancel"), headers=h)
    assert (r.status_code, r.json["affected"]) == (201, [])
    assert _cancellations(ids[0]) == ["email", "sms"]


def test_cancel_is_all_or_nothing_when_a_visit_is_already_under_way(client):
    p, _, ids, _ = _world(client)
    clock.freeze(NOW.replace(day=8, hour=14, minute=5))  # Monday 8 March, 09:05 EST: the first visit is on
    h = f.token(client, "sched@example.org")
    db.session.get(Appointment, ids[0]).status = "in_visit"
    db.session.commit()
    messages = _count(OutboxMessage)
    r = client.post(_url(p), json=_day_off(p, affected="cancel"), headers=h)
    assert r.status_code == 409, r.json
    assert r.json["error"]["code"] == "conflict" and "under way" in r.json["error"]["message"]
    assert _statuses(*ids) == ["in_visit", "booked"]
    assert _count(TimeOff) == 0 and _count(OutboxMessage) == messages and _count(FreedSlot) == 0
    r = client.post(_url(p), json=_day_off(p), headers=h)  # without a choice: both are listed (both are active)
    assert (r.status_code, r.json["appointments"]) == (409, ids)


def test_any_other_value_of_affected_is_422_and_writes_nothing(client):
    p, h, ids, _ = _world(client)
    for value in ("Cancel", "delete", "", 1, True, ["cancel"], {"cancel": True}):
        r = client.post(_url(p), json=_day_off(p, affected=value), headers=h)
        assert r.status_code == 422, (value, r.json)
        assert r.json["error"]["code"] == "invalid" and "affected" in r.json["error"]["fields"], value
        span = {"start": "2027-03-09T09:00:00-05:00", "end": "2027-03-09T10:00:00-05:00", "affected": value}
        assert client.post(_url(p), json=span, headers=h).status_code == 422, value  # no visit inside: still 422
    assert _count(TimeOff) == 0 and _statuses(*ids) == ["booked", "booked"]
    # null is the field left out
    assert client.post(_url(p), json=_day_off(p, affected=None), headers=h).status_code == 409


def test_the_openapi_document_describes_the_choice_and_the_409(client):
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/clinicians/{clinician_id}/time-off"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert all(b["properties"]["affected"]["enum"] == ["keep", "cancel"] for b in body)
    assert "appointments" in str(op["responses"]["409"]) and "affected" in str(op["responses"]["201"])


# --- the desk --------------------------------------------------------------------------------------------------


def _form(p, **extra) -> dict:
    return {"kind": "day", "location_id": str(p.cleveland.id), "date": MON, "reason": "Conference", **extra}


def test_the_desk_lists_the_visits_and_saves_nothing_until_the_scheduler_chooses(app, client):
    p, _, ids, _ = _world(client)
    sign_in(client, "scheduler")
    url = f"/schedule/clinicians/{p.us_doc.id}/time-off"
    html = page(client.post(url, data=_form(p)))
    assert "Nothing is saved yet" in html and "covers 2 visits" in html
    rows = re.findall(r"<tr><td data-label=\"When \(site time\)\">(.*?)</tr>", html, re.S)
    assert len(rows) == 2
    assert "Mon, Mar 8, 2027, 9:00 AM EST" in rows[0] and ">other<" in rows[0] and ">Consult<" in rows[0]
    assert "Mon, Mar 8, 2027, 10:00 AM EST" in rows[1] and ">pat<" in rows[1]
    assert re.findall(r'name="seen" value="(\d+)"', html) == [str(i) for i in ids]
    assert 'name="affected" value="keep"' in html and 'name="affected" value="cancel"' in html
    assert "Go back without saving" in html
    assert _count(TimeOff) == 0 and _statuses(*ids) == ["booked", "booked"]

    seen = [str(i) for i in ids]
    r = client.post(url, data=_form(p, affected="cancel", seen=seen))
    assert r.status_code == 302
    assert _statuses(*ids) == ["cancelled", "cancelled"] and _count(TimeOff) == 1
    assert _cancellations(ids[0]) == ["email", "sms"] and _cancellations(ids[1]) == ["email"]
    assert "2 visits cancelled; each patient is being told." in page(client.get(r.headers["Location"]))


def test_keep_at_the_desk_and_a_visit_booked_meanwhile_is_shown_before_anything_is_saved(app, client):
    p, _, ids, _ = _world(client)
    sign_in(client, "scheduler")
    url = f"/schedule/clinicians/{p.us_doc.id}/time-off"
    later = book(client, p, "other", "2027-03-08T11:00:00-05:00")  # booked after the scheduler saw two
    html = page(client.post(url, data=_form(p, affected="cancel", seen=[str(i) for i in ids])))
    assert "Another visit was booked in that time" in html and "11:00 AM EST" in html
    assert _count(TimeOff) == 0 and _statuses(*ids, later) == ["booked"] * 3
    r = client.post(url, data=_form(p, affected="keep", seen=[str(i) for i in [*ids, later]]))
    assert r.status_code == 302 and _count(TimeOff) == 1
    assert _statuses(*ids, later) == ["booked"] * 3
    assert "3 visits in that time are kept as booked." in page(client.get(r.headers["Location"]))


def test_the_part_day_form_names_its_site_field_location_id(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    html = client.get(f"/schedule/clinicians/{p.us_doc.id}/availability").get_data(as_text=True)
    (span,) = re.findall(r'<select id="span-location-id"[^>]*>', html)
    assert 'name="location_id"' in span


# --- the clinician's day ----------------------------------------------------------------------------------------


def test_the_clinicians_day_shows_a_day_off_instead_of_the_hours(app, client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    assert (
        client.post(_url(p), json={"location_id": p.cleveland.id, "date": "2027-03-01"}, headers=h).status_code == 201
    )
    sign_in(client, "clinician")
    html = page(client.get("/clinic/today"))
    assert "Day off" in html and "Hours today" not in html and "09:00–12:00" not in html


def test_the_clinicians_day_shows_a_part_day_away_and_the_hours_left(app, client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    off = {"start": "2027-03-01T10:00:00-05:00", "end": "2027-03-01T11:00:00-05:00"}
    assert client.post(_url(p), json=off, headers=h).status_code == 201
    sign_in(client, "clinician")
    html = page(client.get("/clinic/today"))
    assert "Away 10:00–11:00" in html
    assert "Hours left today: 09:00–10:00 (Video, In person); 11:00–12:00 (Video, In person)" in html
