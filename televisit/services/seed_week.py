"""The demo's visits today and in the next six days (from the clock's now), so the desk's calendar and the
clinic are not empty on a first run.

They are booked through the booking services, as the desk, as if a week ago (so today's early visits exist too,
and a demo moment chosen with TELEVISIT_NOW finds some in progress): real reservations, real messages in the
outbox. Each site's day gets a few follow-ups spread over its hours (a video one with the demo clinician Dr. Amara
Okafor on the days she works), each for a different demo patient of that site's region. Idempotent: a site's day
that has its demo visits already gets none more, and no demo patient gets two visits on one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.errors import DomainError
from televisit.domain.roles import SCHEDULER, Actor
from televisit.domain.timezones import date_range_bounds, get_zone, local_date
from televisit.models import Appointment, Clinician, Location, Patient, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.booking.search import SlotQuery, search

BOOKED_AHEAD = timedelta(days=7)  # as if the desk booked them a week before
DAYS = 7  # today and the six days after it
PER_SITE_DAY = 3
VISIT_TYPE = "Follow-up"
REASON = "Follow-up (demo)"  # marks the seed's own visits
OKAFOR = "amara.okafor@demo.televisit.local"
DESK = Actor(None, SCHEDULER)  # type: ignore[arg-type]  # the seed books as the desk, no user behind it
ACTIVE = ("booked", "checked_in", "in_visit", "completed", "no_show")
# Demo patients (records only; the demo sign-in's patient too, when it exists), by the site they are seen at:
# email handle, name, zone, region (the site's own, so a video visit's clinician is licensed there).
PATIENTS = {
    "Cleveland Main Campus": [
        ("morgan.avery", "Morgan Avery", "America/New_York", "US-OH"),
        ("noah.patel", "Noah Patel", "America/New_York", "US-OH"),
        ("grace.lee", "Grace Lee", "America/New_York", "US-OH"),
        ("ethan.ward", "Ethan Ward", "America/New_York", "US-OH"),
    ],
    "Weston Florida Clinic": [
        ("casey.morgan", "Casey Morgan", "America/New_York", "US-FL"),
        ("ava.brooks", "Ava Brooks", "America/New_York", "US-FL"),
        ("mia.santos", "Mia Santos", "America/New_York", "US-FL"),
    ],
    "London Spine Centre": [
        ("patient", "Pat Patient", "Europe/London", "GB-ENG"),
        ("harriet.cole", "Harriet Cole", "Europe/London", "GB-ENG"),
        ("emma.wright", "Emma Wright", "Europe/London", "GB-ENG"),
        ("oliver.hughes", "Oliver Hughes", "Europe/London", "GB-ENG"),
    ],
}


@dataclass(frozen=True)
class SiteDay:
    """One site's local day and the window of it, in UTC."""

    site: Location
    day: date
    lo: datetime
    hi: datetime


def _email(handle: str) -> str:
    return f"{handle}@demo.televisit.local"


def _patients(session: Session, site: Location, now: datetime) -> list[Patient]:
    """The site's demo patients (made when missing; the demo sign-in's only when it exists)."""
    out = []
    for handle, name, zone, region in PATIENTS.get(site.name, []):
        found = session.scalars(select(Patient).where(Patient.email == _email(handle)).order_by(Patient.id)).first()
        if found is None and handle != "patient":
            found = Patient(
                email=_email(handle), name=name, timezone=zone, region=region, sms_opt_in=False, created_at=now
            )
            session.add(found)
        if found is not None:
            out.append(found)
    session.commit()  # kept even when a booking below is refused (its rollback must not take them)
    return out


def _booked_here(session: Session, d: SiteDay) -> int:
    """How many of the seed's visits the site has that local day."""
    stmt = (
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.location_id == d.site.id,
            Appointment.reason == REASON,
            Appointment.status.in_(ACTIVE),
            Appointment.start_at >= d.lo,
            Appointment.start_at < d.hi,
        )
    )
    return session.scalar(stmt) or 0


def _busy_patients(session: Session, d: SiteDay, patient_ids: list[int]) -> set[int]:
    """Demo patients with any visit that day (anywhere: one visit a day each)."""
    stmt = select(Appointment.patient_id).where(
        Appointment.patient_id.in_(patient_ids),
        Appointment.status.in_(ACTIVE),
        Appointment.start_at >= d.lo,
        Appointment.start_at < d.hi,
    )
    return set(session.scalars(stmt))


def _spread(slots: list[Slot], count: int) -> list[Slot]:
    """`count` slots spread over the day (the first, middle and last of it for three)."""
    if len(slots) <= count:
        return slots
    step = (len(slots) - 1) / max(count - 1, 1)
    return [slots[round(i * step)] for i in range(count)]


def _picks(session: Session, d: SiteDay, vt: VisitType, okafor: Clinician | None, booked_at: datetime) -> list[Slot]:
    """A video follow-up with Dr. Okafor when she works there that day, then in-person ones spread over the day."""
    zone = get_zone(d.site.timezone)
    q = SlotQuery(vt.id, d.day, d.day, zone, location_id=d.site.id, mode="in_person")
    own = []
    if okafor is not None:
        mine = SlotQuery(vt.id, d.day, d.day, zone, d.site.id, okafor.id, "virtual", d.site.region)
        own = _spread(search(session, mine, now=booked_at), 3)[1:2]  # the middle one
    rest = search(session, q, now=booked_at)
    return own + _spread(rest, PER_SITE_DAY - len(own))


def _book(session: Session, slot: Slot, patient: Patient, booked_at: datetime) -> bool:
    req = SlotRequest(slot.visit_type_id, slot.clinician_id, slot.location_id, slot.mode, slot.start, patient.region)
    try:
        booking.book(session, booking.BookingRequest(req, patient.id, REASON), actor=DESK, now=booked_at)
    except DomainError:  # taken meanwhile, or no longer bookable: the demo does without it
        session.rollback()
        return False
    return True


def _fill(session: Session, d: SiteDay, vt: VisitType, okafor: Clinician | None, now: datetime) -> None:
    if _booked_here(session, d) > 0:  # this day was filled by an earlier run
        return
    patients = _patients(session, d.site, now)
    busy = _busy_patients(session, d, [p.id for p in patients])
    free = [p for p in patients if p.id not in busy]
    for slot, patient in zip(_picks(session, d, vt, okafor, now - BOOKED_AHEAD), free, strict=False):
        _book(session, slot, patient, now - BOOKED_AHEAD)


def site_days(session: Session, now: datetime) -> list[SiteDay]:
    """Every site's today and next six days (each site's own local dates)."""
    out = []
    for site in session.scalars(select(Location).order_by(Location.id)).all():
        zone = get_zone(site.timezone)
        today = local_date(now, zone)
        for day in (today + timedelta(days=n) for n in range(DAYS)):
            out.append(SiteDay(site, day, *date_range_bounds(day, day, zone)))
    return out


def book_week(session: Session, *, now: datetime) -> int:
    """Book the demo's visits of today and the next six days that are not booked yet; how many there are."""
    vt = session.scalars(select(VisitType).where(VisitType.name == VISIT_TYPE)).first()
    if vt is None:
        return 0
    okafor = session.scalars(select(Clinician).where(Clinician.email == OKAFOR)).first()
    days = site_days(session, now)
    for d in days:
        _fill(session, d, vt, okafor, now)
    session.commit()
    return sum(_booked_here(session, d) for d in days)
