"""Shared scenario for the waitlist tests (this module holds helpers only, no tests).

A Cleveland clinician (Mon 09:00-17:00 local, both modes, licensed US-OH and US-FL) offers a
Consult and a Follow-up. Patients have a phone and an email; they book, join and leave through the
API, accept through the signed link or a signed Twilio webhook, and we read what the fake Twilio and
the local SMTP server received.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from twilio.request_validator import RequestValidator

from televisit.extensions import db
from televisit.models import Appointment, FreedSlot, OutboxMessage, SlotOffer, WaitlistEntry
from tests import factories as f

NY = ZoneInfo("America/New_York")
API = "/api/v1"
LINK = re.compile(r"https?://\S+?(/l/offer/[A-Za-z0-9_.\-]+)")


def at(day: int, hour: int) -> datetime:
    """A wall time in Cleveland in March 2027."""
    return datetime(2027, 3, day, hour, tzinfo=NY)


def iso(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")


@dataclass
class Person:
    """A patient: the headers that act for them (their own, or the scheduler's), phone, email, id."""

    key: str
    patient_id: int
    headers: dict
    phone: str
    email: str


@dataclass
class World:
    """The program, its patients, and helpers that go through the real HTTP paths."""

    m: object  # the `messaging` fixture
    people: dict[str, Person] = field(default_factory=dict)

    def __post_init__(self):
        self.loc = f.location()
        self.consult = f.visit_type("Consult")
        self.followup = f.visit_type("Follow-up")
        both = ("virtual", "in_person")
        self.doc = f.clinician(
            "Dr. Wait",
            visit_types=[self.consult, self.followup],
            licenses=("US-OH", "US-FL"),
            rules=[(self.loc, 0, 9 * 60, 17 * 60, both)],
        )
        f.user("sched@example.org", "scheduler")
        self.staff = f.token(self.m.client, "sched@example.org")

    # -- people and appointments ---------------------------------------------------------------
    def person(self, key: str, region: str = "US-OH", tz: str = "America/New_York", login: bool = False) -> Person:
        """A patient with a phone; `login` makes them a user who signs in (slow: password hashing)."""
        email, phone = f"{key}@example.org", f"+1216555{len(self.people) + 100:04d}"
        if login:
            user = f.user(email, "patient", tz=tz, region=region, name=key.title())
            user.patient.phone = phone
            db.session.commit()
            pid, headers = user.patient_id, f.token(self.m.client, email)
        else:
            body = {"name": key.title(), "email": email, "phone": phone, "timezone": tz, "region": region}
            r = self.m.client.post(f"{API}/patients", json=body, headers=self.staff)
            assert r.status_code == 201, r.json
            pid, headers = r.json["id"], self.staff
        self.people[key] = Person(key, pid, headers, phone, email)
        return self.people[key]

    def book(self, key: str, start: datetime, *, mode: str = "virtual", visit_type=None) -> int:
        """Book as the patient (or staff for them); returns the appointment id."""
        vt, who = visit_type or self.consult, self.people[key]
        body = {"visit_type_id": vt.id, "clinician_id": self.doc.id, "location_id": self.loc.id}
        body |= {"mode": mode, "start": iso(start)}
        if who.headers is self.staff:
            body["patient_id"] = who.patient_id
        r = self.m.client.post(f"{API}/appointments", json=body, headers=who.headers)
        assert r.status_code == 201, r.json
        return r.json["id"]

    def join(self, key: str, appointment_id: int):
        return self.m.client.post(f"{API}/appointments/{appointment_id}/waitlist", headers=self.people[key].headers)

    def cancel(self, appointment_id: int):
        r = self.m.client.post(f"{API}/appointments/{appointment_id}/cancel", json={}, headers=self.staff)
        assert r.status_code == 200, r.json

    def appt(self, appointment_id: int) -> dict:
        r = self.m.client.get(f"{API}/appointments/{appointment_id}", headers=self.staff)
        assert r.status_code == 200, r.json
        return r.json

    def start_of(self, appointment_id: int) -> datetime:
        return datetime.fromisoformat(self.appt(appointment_id)["start"])

    # -- the database's view -------------------------------------------------------------------
    def offers(self) -> list[tuple[str, str]]:
        """(patient key, status) of every offer, oldest first."""
        db.session.expire_all()
        rows = db.session.execute(
            select(WaitlistEntry.patient_id, SlotOffer.status)
            .join(WaitlistEntry, WaitlistEntry.id == SlotOffer.waitlist_entry_id)
            .order_by(SlotOffer.id)
        ).all()
        by_id = {p.patient_id: k for k, p in self.people.items()}
        return [(by_id[pid], status) for pid, status in rows]

    def offer_of(self, key: str) -> SlotOffer:
        """The newest offer made to `key`."""
        db.session.expire_all()
        stmt = select(SlotOffer).join(WaitlistEntry, WaitlistEntry.id == SlotOffer.waitlist_entry_id)
        stmt = stmt.where(WaitlistEntry.patient_id == self.people[key].patient_id).order_by(SlotOffer.id.desc())
        return db.session.scalars(stmt).first()

    def freed_starts(self) -> list[datetime]:
        db.session.expire_all()
        return list(db.session.scalars(select(FreedSlot.start_at).order_by(FreedSlot.id)))

    def appointments_at(self, start: datetime) -> list[int]:
        db.session.expire_all()
        stmt = select(Appointment.id).where(Appointment.start_at == start, Appointment.status == "booked")
        return list(db.session.scalars(stmt))

    # -- messages ------------------------------------------------------------------------------
    def deliver(self) -> dict:
        """Run the jobs once; returns their results."""
        return self.m.run_jobs()

    def skip_planned_messages(self) -> None:
        """Withdraw the confirmations and reminders planned so far: not what these tests are about."""
        db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(status="withdrawn"))
        db.session.commit()

    def sms(self, key: str) -> list[str]:
        return self.m.twilio.bodies_to(self.people[key].phone)

    def emails(self, key: str) -> list:
        return self.m.smtp.recorder.to(self.people[key].email)

    def offer_paths(self, key: str) -> list[str]:
        """The paths of the offer links texted to `key`, oldest first."""
        found = [LINK.search(b) for b in self.sms(key)]
        return [x.group(1) for x in found if x]

    def offer_path(self, key: str) -> str:
        """The path of the newest offer link texted to `key`."""
        paths = self.offer_paths(key)
        assert paths, self.sms(key)
        return paths[-1]

    # -- accepting -----------------------------------------------------------------------------
    def accept_link(self, key: str):
        return self.m.client.post(self.offer_path(key))

    def reply(self, key: str, body: str):
        """An inbound SMS from `key`, signed the way Twilio signs it."""
        sid = "SM" + uuid.uuid4().hex  # every text its own MessageSid: a repeated one is a replay, ignored
        params = {"From": self.people[key].phone, "To": "+15005550006", "Body": body, "MessageSid": sid}
        url = self.m.app.config["PUBLIC_URL"] + "/webhooks/twilio/sms"
        sig = RequestValidator(self.m.twilio.auth_token).compute_signature(url, params)
        return self.m.client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sig})


def standard(m) -> tuple[World, dict[str, int]]:
    """X's visit (Mon 8 Mar 09:00, video) will be freed. Joined in this order:
    GB (in person, licensed nowhere here for video), F (Follow-up), E (earlier than the freed time),
    A, B, C (eligible), D (eligible, but joined fourth of the eligible). N waits for nothing."""
    w = World(m)
    plan = [
        ("x", at(8, 9), "virtual", "US-OH", None),
        ("gb", at(8, 15), "in_person", "GB", None),
        ("f", at(8, 16), "virtual", "US-OH", w.followup),
        ("e", at(1, 13), "virtual", "US-OH", None),
        ("a", at(8, 13), "virtual", "US-OH", None),
        ("b", at(8, 14), "virtual", "US-FL", None),
        ("c", at(15, 9), "virtual", "US-OH", None),
        ("d", at(8, 10), "in_person", "US-OH", None),
        ("n", at(15, 10), "virtual", "US-OH", None),
    ]
    ids = {}
    for key, start, mode, region, vt in plan:
        w.person(key, region=region, tz="Europe/London" if region == "GB" else "America/New_York")
        ids[key] = w.book(key, start, mode=mode, visit_type=vt)
    for key in ("gb", "f", "e", "a", "b", "c", "d"):
        r = w.join(key, ids[key])
        assert r.status_code == 201, r.json
    w.skip_planned_messages()
    return w, ids
