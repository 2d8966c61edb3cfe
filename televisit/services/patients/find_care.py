"""Find care: the first free times across clinicians and sites in the patient's own zone, and booking one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.care import NEEDS, CareQuery, Need, Pick, TimeLabel, by_day, day_heading, time_label
from televisit.domain.errors import Invalid, NotFound
from televisit.domain.formatting import both_clocks, locale_for
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Appointment, Clinician, Location, Patient, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking import cap
from televisit.services.booking.check import SlotRequest
from televisit.services.booking.search import SlotQuery, search
from televisit.services.patients import intake

FIRST_TIMES = 24  # how many of the earliest times to show
HORIZON_DAYS = 366  # the visit type's own booking horizon applies within this


@dataclass(frozen=True)
class Choice:
    """One bookable time as the patient sees it."""

    slot: Slot
    label: TimeLabel
    clinician: str
    site: str

    @property
    def pick(self) -> Pick:
        """The time as a Pick (for the confirm link)."""
        return Pick(self.slot.clinician_id, self.slot.location_id, self.slot.start)


@dataclass(frozen=True)
class Day:
    """The choices on one day of the patient's calendar."""

    day: date
    heading: str
    choices: list[Choice]


@dataclass(frozen=True)
class Options:
    """What the find-care form offers: the needs this program books, and its sites."""

    needs: list[tuple[Need, VisitType]]
    sites: list[Location]


def options(session: Session) -> Options:
    """The needs whose visit type exists, and every site."""
    by_name = {vt.name: vt for vt in session.scalars(select(VisitType))}
    needs = [(n, by_name[n.visit_type_name]) for n in NEEDS if n.visit_type_name in by_name]
    return Options(needs, list(session.scalars(select(Location).order_by(Location.id))))


def visit_type_for(session: Session, need: Need) -> VisitType:
    """The visit type a need books, or NotFound when this program does not offer it."""
    vt = session.scalars(select(VisitType).where(VisitType.name == need.visit_type_name)).first()
    if vt is None:
        raise NotFound(f"{need.label} cannot be booked online here; please call the clinic.")
    return vt


def locale_of(patient: Patient) -> str:
    """The patient's clock style: 12-hour US or 24-hour UK."""
    return patient.locale or locale_for(patient.region, patient.timezone)


def _names(session: Session, slots: list[Slot]) -> tuple[dict[int, str], dict[int, Location]]:
    cids, lids = {s.clinician_id for s in slots}, {s.location_id for s in slots}
    clinicians = {c.id: c.name for c in session.scalars(select(Clinician).where(Clinician.id.in_(cids)))}
    sites = {loc.id: loc for loc in session.scalars(select(Location).where(Location.id.in_(lids)))}
    return clinicians, sites


def present(session: Session, patient: Patient, slots: list[Slot]) -> list[Day]:
    """Slots as the patient reads them: grouped by their own day, each on both clocks when they differ."""
    zone, locale = get_zone(patient.timezone), locale_of(patient)
    clinicians, sites = _names(session, slots)

    def choice(s: Slot) -> Choice:
        site = sites[s.location_id]
        label = time_label(s.start, zone, get_zone(site.timezone), locale)
        where = f"Video visit ({site.city} team)" if s.mode == "virtual" else f"{site.name}, {site.city}"
        return Choice(s, label, clinicians.get(s.clinician_id, "A clinician"), where)

    return [Day(d, day_heading(d, locale), [choice(s) for s in group]) for d, group in by_day(slots, _start, zone)]


def _start(slot: Slot) -> datetime:
    return slot.start


def first_times(session: Session, patient: Patient, q: CareQuery, *, now: datetime) -> list[Day]:
    """The earliest free times for `q` across clinicians and sites, in the patient's zone, by day.

    Refuses (UrgentOpen, IntakeRequired) when routine booking must wait.
    """
    intake.check_gate(session, patient.id, q.need)
    vt = visit_type_for(session, q.need)
    if q.mode not in vt.modes:
        raise Invalid({"mode": f"{q.need.label} is offered only as a video visit."}, "Choose a video visit.")
    zone = get_zone(patient.timezone)
    today = local_date(now, zone)
    sq = SlotQuery(
        vt.id, today, today + timedelta(days=HORIZON_DAYS), zone, location_id=q.location_id, mode=q.mode,
        patient_region=q.region, limit=FIRST_TIMES,
    )  # fmt: skip
    return present(session, patient, search(session, sq, now=now))


@dataclass(frozen=True)
class Confirmation:
    """What the confirm page shows before booking."""

    query: CareQuery
    pick: Pick
    visit_type: VisitType
    clinician: Clinician
    site: Location
    when: str


def confirmation(session: Session, patient: Patient, q: CareQuery, pick: Pick) -> Confirmation:
    """The summary of a picked time (NotFound when the clinician or site does not exist)."""
    intake.check_gate(session, patient.id, q.need)
    vt = visit_type_for(session, q.need)
    clinician, site = session.get(Clinician, pick.clinician_id), session.get(Location, pick.location_id)
    if clinician is None or site is None:
        raise NotFound("That time is no longer available.")
    when = both_clocks(pick.start, get_zone(site.timezone), get_zone(patient.timezone), locale_of(patient))
    return Confirmation(q, pick, vt, clinician, site, when)


def book(
    session: Session,
    actor: Actor,
    q: CareQuery,
    pick: Pick,
    *,
    now: datetime,
    reason: str | None = None,
    max_upcoming: int = cap.DEFAULT_MOST,
) -> Appointment:
    """Book the picked time for the acting patient, after the same gate as the search (BookingLimit when they
    already hold `max_upcoming` upcoming visits they booked themselves)."""
    intake.check_gate(session, actor.patient_id, q.need)
    vt = visit_type_for(session, q.need)
    slot = SlotRequest(vt.id, pick.clinician_id, pick.location_id, q.mode, pick.start, q.region)
    req = booking.BookingRequest(slot=slot, reason=reason)
    return booking.book(session, req, actor=actor, now=now, max_upcoming=max_upcoming)
