"""A booked visit and the signed links its confirmation email carries (dev outbox: the `client` fixture)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from televisit.extensions import db
from televisit.models import Appointment, OutboxMessage
from tests import factories as f

PUBLIC = "http://televisit.test"  # TestConfig's PUBLIC_URL in the fixtures
LINK = re.compile(re.escape(PUBLIC) + r"(/l/(\w+)/[A-Za-z0-9_.\-]+)")


@dataclass
class Booked:
    """The appointment (read fresh with .appt) and its links by purpose, as paths."""

    appointment_id: int
    links: dict[str, str]

    @property
    def appt(self) -> Appointment:
        db.session.expire_all()
        return db.session.get(Appointment, self.appointment_id)


def run_jobs(app) -> dict:
    """`jobs run-once` in-process (the test session's transaction ended first: SQLite's write lock)."""
    from jobs.runner import run_once

    db.session.commit()
    return dict(run_once(app))


def book(app, client, p, who: str, start: str, *, mode="in_person", site="cleveland") -> Booked:
    """Book through the API as the scheduler, run the jobs, take the links from the confirmation email."""
    doc, loc = (p.us_doc, p.cleveland) if site == "cleveland" else (p.uk_doc, p.london)
    body = {"visit_type_id": p.consult.id, "clinician_id": doc.id, "location_id": loc.id, "mode": mode}
    body |= {"start": start, "patient_id": p.users[who].patient_id}
    r = client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    run_jobs(app)
    return Booked(r.json["id"], links_in(r.json["id"], "confirmation"))


def links_in(appointment_id: int, rule: str) -> dict[str, str]:
    """Purpose -> path of each link in the sent email of `rule` for the appointment."""
    db.session.expire_all()
    msg = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.appointment_id == appointment_id, OutboxMessage.rule == rule, OutboxMessage.channel == "email"
        )
    ).one()
    assert msg.status == "sent" and msg.body_text, (msg.status, msg.last_error)
    return {purpose: path for path, purpose in LINK.findall(msg.body_text)}
