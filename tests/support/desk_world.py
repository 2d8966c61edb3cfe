"""Helpers for the desk page tests (scheduler, admin, clinician): sign in, read pages, book through the API."""

from __future__ import annotations

import html

from sqlalchemy import select

from televisit.extensions import db
from televisit.models import Appointment, OutboxMessage
from tests import factories as f

MON_9_EST = "2027-03-08T09:00:00-05:00"  # a Monday at the Cleveland site (the clock: Mon 1 Mar 12:00 UTC)
MON_10_EST = "2027-03-08T10:00:00-05:00"


def sign_in(client, who: str) -> None:
    """Sign in through the form as one of the program's users (admin, scheduler, patient, other, clinician)."""
    email = {
        "admin": "admin@example.org",
        "scheduler": "sched@example.org",
        "patient": "pat@example.org",
        "other": "other@example.org",
        "clinician": "cle@example.org",
    }.get(who, who)
    r = client.post("/login", data={"email": email, "password": f.PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def page(r, status: int = 200) -> str:
    """The HTML of a page answered with `status` (never a traceback), entities unescaped."""
    text = r.get_data(as_text=True)
    assert r.status_code == status, text[:1500]
    assert r.mimetype == "text/html" and "Traceback" not in text
    return html.unescape(text)


def book(client, p, who: str = "other", start: str = MON_9_EST, *, mode: str = "virtual", doc=None) -> int:
    """Book through the API as the scheduler; returns the appointment id."""
    doc = doc or p.us_doc
    loc = p.cleveland if doc is p.us_doc else p.london
    body = {"visit_type_id": p.consult.id, "clinician_id": doc.id, "location_id": loc.id, "mode": mode, "start": start}
    body |= {"patient_id": p.users[who].patient_id, "patient_region": "US-OH" if doc is p.us_doc else "GB"}
    r = client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    return r.json["id"]


def appointment(appointment_id: int) -> Appointment:
    """The appointment as stored now."""
    db.session.expire_all()
    return db.session.get(Appointment, appointment_id)


def outbox_rules(appointment_id: int) -> list[str]:
    """The outbox rules planned for an appointment, oldest first."""
    stmt = select(OutboxMessage.rule).where(OutboxMessage.appointment_id == appointment_id).order_by(OutboxMessage.id)
    return list(db.session.scalars(stmt))


def slot_form(p, start: str, *, mode: str = "virtual", doc=None, **extra) -> dict:
    """What a slot button posts."""
    doc = doc or p.us_doc
    loc = p.cleveland if doc is p.us_doc else p.london
    form = {"visit_type_id": str(p.consult.id), "clinician_id": str(doc.id), "location_id": str(loc.id)}
    return form | {"mode": mode, "start": start} | extra
