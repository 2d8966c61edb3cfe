"""The demo program for the patient-page tests, a London and an Ohio patient, and a signed-in test client.

The clock is frozen at Monday 2027-03-01 12:00 UTC (tests/conftest.py NOW): London is on GMT and Cleveland
on EST until the US moves its clocks on 14 March, so a London patient sees two clocks five hours apart.
Dr. Amara Okafor (Cleveland) also holds a UK licence here, so she can see the London patient by video.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from televisit import clock
from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.models import Appointment, Clinician, Location, User
from televisit.services import seed
from tests import factories as f

LONDON, OHIO = "lou@example.org", "ola@example.org"
OKAFOR = "amara.okafor@demo.televisit.local"
NO_FLAGS = {
    "urgent": ["none"],
    "symptoms": ["back_neck_pain", "scan_finding"],
    "since": "months",
    "course": "slowly_worse",
    "daily_life": "mild",
    "prior_tumor": "no",
    "family_history": "unsure",
}


@dataclass
class PatientWorld:
    """Ids of the seeded program's parts the tests use, and helpers to drive pages as a patient."""

    client: object
    ids: dict

    def sign_in(self, email: str, password: str = f.PASSWORD) -> None:
        """Sign in through /login (signs out whoever was signed in)."""
        self.client.post("/logout")
        r = self.client.post("/login", data={"email": email, "password": password})
        assert r.status_code == 302, r.get_data(as_text=True)[:300]

    def intake(self, **answers) -> object:
        """Answer the intake (no red flags unless given), as the signed-in patient."""
        return self.client.post("/intake", data={**NO_FLAGS, **answers})

    def search(self, **params):
        """GET /find-care with query parameters."""
        return self.client.get("/find-care", query_string=params)

    def ola(self) -> Actor:
        """The Ohio patient as an actor (to book behind the London patient's back)."""
        return Actor(self.ids["ola_user"], "patient", self.ids["ola"])

    def appointment(self, appointment_id: int) -> Appointment:
        """The appointment, read fresh."""
        db.session.expire_all()
        return db.session.get(Appointment, appointment_id)


def build(client) -> PatientWorld:
    """Seed the demo program; add a London patient (Europe/London, GB) and an Ohio one (New York zone, US-OH)."""
    seed.seed(db.session, now=clock.now(), with_users=True)
    okafor = db.session.scalars(select(Clinician).where(Clinician.email == OKAFOR)).one()
    okafor.licenses = [*okafor.licenses, "GB"]
    db.session.commit()
    lou = f.user(LONDON, "patient", tz="Europe/London", region="GB", name="Lou London")
    ola = f.user(OHIO, "patient", region="US-OH", name="Ola Ohio")
    sites = {loc.city: loc.id for loc in db.session.scalars(select(Location))}
    scheduler = db.session.scalars(select(User).where(User.role == "scheduler")).first()
    ids = {
        "lou": lou.patient_id,
        "ola": ola.patient_id,
        "ola_user": ola.id,
        "okafor": okafor.id,
        "scheduler": scheduler.email,
        **sites,
    }
    db.session.commit()
    return PatientWorld(client, ids)


def html(r, status: int = 200) -> str:
    """The page's HTML, after checking its status."""
    text = r.get_data(as_text=True)
    assert r.status_code == status, text[:1500]
    return text


def confirm_links(page: str) -> list[str]:
    """The confirm links of the times a find-care page offers, in order."""
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/find-care/confirm\?[^"]+)"', page)]


def hidden_fields(page: str) -> dict:
    """The hidden inputs of a page's forms (the booking form on the confirm page)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def text_of(page: str) -> str:
    """The page's visible text, tags removed and whitespace collapsed (for 'both clocks' assertions)."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())
