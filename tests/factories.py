"""Builders for test data, written through the same services the app uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from televisit import clock
from televisit.extensions import db
from televisit.models import AvailabilityRule, Clinician, Location, VisitType
from televisit.services.auth import create_user

PASSWORD = "correct-horse-battery"


def location(name="Cleveland", city="Cleveland", region="US-OH", country="US", tz="America/New_York") -> Location:
    loc = Location(name=name, city=city, region=region, country=country, timezone=tz)
    db.session.add(loc)
    db.session.commit()
    return loc


def visit_type(
    name="Consult", minutes=60, modes=("virtual", "in_person"), before=0, after=0, notice=0, advance=365
) -> VisitType:
    vt = VisitType(
        name=name,
        duration_minutes=minutes,
        modes=list(modes),
        buffer_before_minutes=before,
        buffer_after_minutes=after,
        min_notice_minutes=notice,
        max_advance_days=advance,
    )
    db.session.add(vt)
    db.session.commit()
    return vt


def clinician(
    name="Dr. Test", *, visit_types, rules, licenses=("US-OH",), specialty="neurosurgery", email=None
) -> Clinician:
    """`rules`: (location, weekday, start_minute, end_minute, modes) tuples."""
    c = Clinician(name=name, specialty=specialty, licenses=list(licenses), email=email)
    c.visit_types = list(visit_types)
    c.rules = [
        AvailabilityRule(location_id=loc.id, weekday=wd, start_minute=a, end_minute=b, modes=list(m))
        for loc, wd, a, b, m in rules
    ]
    db.session.add(c)
    db.session.commit()
    return c


def user(email: str, role: str, *, tz="America/New_York", region=None, name=None):
    u = create_user(db.session, email=email, password=PASSWORD, role=role, name=name, now=clock.now(), timezone=tz)
    if region and u.patient:
        u.patient.region = region
        db.session.commit()
    return u


def token(client, email: str) -> dict:
    """Authorization headers for `email` (signs in through the API)."""
    r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


@dataclass
class Program:
    """A small program: Cleveland (New York zone) and London, one consult type, two clinicians."""

    cleveland: Location
    london: Location
    consult: VisitType
    us_doc: Clinician
    uk_doc: Clinician
    users: dict = field(default_factory=dict)


def program() -> Program:
    """Cleveland surgeon Mon 09:00-12:00 (both modes); London surgeon Mon 09:00-12:00 (both modes)."""
    cle = location()
    lon = location("London", "London", "GB-ENG", "GB", "Europe/London")
    consult = visit_type()
    us = clinician(
        "Dr. Cleveland",
        visit_types=[consult],
        licenses=("US-OH", "US-FL"),
        rules=[(cle, 0, 9 * 60, 12 * 60, ("virtual", "in_person"))],
        email="cle@example.org",
    )
    uk = clinician(
        "Mr. London",
        visit_types=[consult],
        licenses=("GB",),
        rules=[(lon, 0, 9 * 60, 12 * 60, ("virtual", "in_person"))],
        email="lon@example.org",
    )
    p = Program(cle, lon, consult, us, uk)
    p.users = {
        "admin": user("admin@example.org", "admin"),
        "scheduler": user("sched@example.org", "scheduler"),
        "patient": user("pat@example.org", "patient", tz="Europe/London", region="GB"),
        "other": user("other@example.org", "patient", region="US-OH"),
        "clinician": user("cle@example.org", "clinician"),
    }
    return p
