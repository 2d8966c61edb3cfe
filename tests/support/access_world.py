"""The data and callers behind tests/integration/test_access_matrix.py: one visit, five kinds of caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from televisit import clock
from televisit.extensions import db
from televisit.models import (
    Appointment,
    Course,
    Intake,
    Itinerary,
    OutboxMessage,
    Pathway,
    Resource,
    TimeOff,
    UrgentCase,
)
from televisit.services.auth import actor_of
from televisit.services.messaging import feeds, links
from tests import factories as f
from tests.support.board_world import board_ids

# Who tries each route. "patient" owns the visit; "clinician" is on it; "other_clinician" is not.
PERSONAS = ("anonymous", "other_patient", "other_clinician", "patient", "clinician", "scheduler", "admin")
EMAILS = {
    "patient": "pat@example.org",
    "other_patient": "other@example.org",
    "clinician": "cle@example.org",
    "other_clinician": "lon@example.org",
    "scheduler": "sched@example.org",
    "admin": "admin@example.org",
}
START = "2027-03-08T09:00:00-05:00"  # Monday, Cleveland, virtual


@dataclass
class AccessWorld:
    """Ids for every URL argument, signed-link tokens, and a bearer token per persona."""

    p: object
    appt_id: int
    ids: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def url_values(self, rule, *, forged: bool = False) -> dict:
        """Values for a rule's arguments (links and feeds get a valid token, or a forged one)."""
        out = {}
        for arg in rule.arguments:
            if arg == "token":
                out[arg] = "forged-token" if forged else self.ids[f"token:{rule.endpoint}"]
            else:
                out[arg] = self.ids[arg]
        return out


def build(client) -> AccessWorld:
    """The program, a virtual visit for `patient` with Dr. Cleveland, and everything the routes name."""
    p = f.program()
    f.user("lon@example.org", "clinician")
    tokens = {who: f.token(client, email) for who, email in EMAILS.items()}
    body = {
        "visit_type_id": p.consult.id,
        "clinician_id": p.us_doc.id,
        "location_id": p.cleveland.id,
        "mode": "virtual",
        "start": START,
        "patient_region": "US-OH",
        "patient_id": p.users["patient"].patient_id,
    }
    r = client.post("/api/v1/appointments", json=body, headers=tokens["scheduler"])
    assert r.status_code == 201, r.json
    w = AccessWorld(p, r.json["id"], tokens=tokens)
    w.ids |= _ids(p, w.appt_id)
    return w


def _ids(p, appt_id: int) -> dict:
    now = clock.now()
    patient_id = p.users["patient"].patient_id
    intake = Intake(patient_id=patient_id, need="new", answers={}, red_flags=["weakness"], created_at=now)
    db.session.add(intake)
    db.session.flush()
    case = UrgentCase(patient_id=patient_id, intake_id=intake.id, flags=["weakness"], status="open", created_at=now)
    off = TimeOff(clinician_id=p.us_doc.id, start_at=now + timedelta(days=30), end_at=now + timedelta(days=31))
    db.session.add_all([case, off])
    db.session.commit()
    message = db.session.query(OutboxMessage).first()
    secret = _secret()
    expires = datetime(2027, 3, 9, tzinfo=timezone.utc)
    ids = {
        "appointment_id": appt_id,
        "patient_id": patient_id,
        "clinician_id": p.us_doc.id,
        "user_id": p.users["patient"].id,
        "case_id": case.id,
        "time_off_id": off.id,
        "location_id": p.cleveland.id,
        "visit_type_id": p.consult.id,
        "schedule_id": f"{p.us_doc.id}.{p.cleveland.id}",  # FHIR: Dr. Cleveland's Schedule at Cleveland
        "slot_id": f"{p.us_doc.id}.{p.cleveland.id}.{p.consult.id}.v.202703081600",  # FHIR: Mon 8 Mar 11:00 EST
        "message_id": message.id if message else 1,
        "filename": "css/app.css",
        "name": "socket.io.min.js",
        "token:calendar_feed.feed": feeds.create(db.session, p.us_doc.id, actor=actor_of(p.users["admin"]), now=now),
    }
    for purpose in links.PURPOSES:
        endpoint = f"links.{purpose}"
        ids[f"token:{endpoint}"] = links.sign(
            secret, purpose, appt_id, 0, expires, offer_id=1 if purpose == "offer" else None
        )
    ids["token:links.view_ics"] = ids["token:links.view"]
    return ids | _care_ids(p, appt_id, now) | board_ids(p, now)


def _care_ids(p, appt_id: int, now) -> dict:
    """A scanner, a pathway, the visit as the one step of a clinic day, and a one-fraction course."""
    res = Resource(name="MRI 1", kind="mri", location_id=p.cleveland.id)
    pathway = Pathway(name="Day", steps=[{"visit_type_id": p.consult.id}], min_gap_minutes=0, max_gap_minutes=60)
    db.session.add_all([res, pathway])
    db.session.flush()
    appt = db.session.get(Appointment, appt_id)
    stamp = {"created_at": now, "updated_at": now}
    it = Itinerary(pathway_id=pathway.id, patient_id=appt.patient_id, status="booked", sequence=0, **stamp)
    course = Course(
        patient_id=appt.patient_id, visit_type_id=p.consult.id, clinician_id=p.us_doc.id,
        location_id=p.cleveland.id, count=1, pattern="weekdays", status="booked", **stamp,
    )  # fmt: skip
    db.session.add_all([it, course])
    db.session.flush()
    appt.itinerary_id = it.id
    db.session.commit()
    return {"resource_id": res.id, "pathway_id": pathway.id, "itinerary_id": it.id, "course_id": course.id}


def _secret() -> str:
    from flask import current_app

    return current_app.config["SECRET_KEY"]


def page_client(app, user):
    """A test client signed in with the session cookie as `user` (None: anonymous), its session on the server."""
    from televisit import clock
    from televisit.extensions import db
    from televisit.services import sessions
    from televisit.web.sessions import KEY

    client = app.test_client()
    if user is not None:
        key = sessions.start(db.session, user, now=clock.now())
        with client.session_transaction() as s:
            s["_user_id"], s["_fresh"], s[KEY] = user.get_id(), True, key
    return client
