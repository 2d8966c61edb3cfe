"""Clinicians' private, revocable calendar subscriptions (an .ics feed of their upcoming visits).

The feed names no patient: each entry says the visit type, the mode and the site, and links to the
appointment in Televisit, because calendar apps sync feeds to third-party servers.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from televisit.adapters.calendar_ics import PRODID, ical_time, vtimezone
from televisit.domain import appointments as st
from televisit.domain.errors import Forbidden, NotFound
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, CalendarFeed, Clinician, VisitType

HORIZON = timedelta(days=120)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _authorize(session: Session, clinician_id: int, actor: Actor) -> Clinician:
    clinician = session.get(Clinician, clinician_id)
    if clinician is None:
        raise NotFound("No such clinician.")
    if not (actor.role == "admin" or actor.clinician_id == clinician_id):
        raise Forbidden("Only the clinician (or an admin) manages this calendar feed.")
    return clinician


def create(session: Session, clinician_id: int, *, actor: Actor, now: datetime) -> str:
    """A new feed token (older feeds keep working until revoked)."""
    _authorize(session, clinician_id, actor)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(clinician_id=clinician_id, token_hash=_digest(token), created_at=now))
    session.commit()
    return token


def revoke_all(session: Session, clinician_id: int, *, actor: Actor, now: datetime) -> int:
    """Revoke every feed of the clinician; returns how many."""
    _authorize(session, clinician_id, actor)
    result = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.clinician_id == clinician_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.commit()
    return result.rowcount or 0


def feed_ics(session: Session, token: str, *, now: datetime, public_url: str) -> bytes:
    """The .ics of a live feed token; NotFound for an unknown or revoked one."""
    feed = session.scalars(select(CalendarFeed).where(CalendarFeed.token_hash == _digest(token))).first()
    if feed is None or feed.revoked_at is not None:
        raise NotFound("No such calendar feed.")
    appts = session.scalars(
        select(Appointment)
        .where(
            Appointment.clinician_id == feed.clinician_id,
            Appointment.status.in_(st.VISITS),
            Appointment.end_at > now - timedelta(days=7),
            Appointment.start_at < now + HORIZON,
        )
        .order_by(Appointment.start_at)
    ).all()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Televisit clinic")
    for zone_name in sorted({a.location.timezone for a in appts}):
        cal.add_component(vtimezone(zone_name, now))
    names = {vt.id: vt.name for vt in session.scalars(select(VisitType))}
    for a in appts:
        cal.add_component(_event(a, names.get(a.visit_type_id, "Visit"), public_url, now))
    return cal.to_ical()


def _event(a: Appointment, visit_name: str, public_url: str, now: datetime) -> Event:
    zone = get_zone(a.location.timezone)
    ev = Event()
    ev.add("uid", a.uid)
    ev.add("sequence", a.sequence)
    ev.add("dtstamp", now)
    ev.add("dtstart", ical_time(a.start_at, zone))
    ev.add("dtend", ical_time(a.end_at, zone))
    mode = "video" if a.mode == "virtual" else "in person"
    ev.add("summary", f"{visit_name} ({mode})")
    ev.add("location", "Video visit" if a.mode == "virtual" else a.location.name)
    ev.add("url", f"{public_url}/appointments/{a.id}")
    return ev


def count_active(session: Session, clinician_id: int, *, actor: Actor) -> int:
    """How many unrevoked subscription links the clinician has (their URLs cannot be shown again)."""
    _authorize(session, clinician_id, actor)
    stmt = select(func.count()).where(CalendarFeed.clinician_id == clinician_id, CalendarFeed.revoked_at.is_(None))
    return session.scalar(stmt) or 0
