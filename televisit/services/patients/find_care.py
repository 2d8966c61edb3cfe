"""Find care: the first free times across clinicians and sites in the patient's own zone, and booking one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.care import NEEDS, CareQuery, Need, Pick, TimeLabel, Window, by_day, day_heading, time_label
from televisit.domain.errors import Invalid, NotFound
from televisit.domain.formatting import locale_for, own_first, zone_label
from televisit.domain.roles import Actor
from televisit.domain.specialties import specialty_name
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Appointment, Clinician, Location, Patient, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking import cap
from televisit.services.booking.check import SlotRequest
from televisit.services.booking.search import SlotQuery, search
from televisit.services.patients import intake, phones

FIRST_TIMES = 24  # how many times one page shows
HORIZON_DAYS = 366  # the visit type's own booking horizon applies within this


@dataclass(frozen=True)
class Choice:
    """One bookable time as the patient sees it."""

    slot: Slot
    label: TimeLabel
    clinician: str
    specialty: str
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
    """What the find-care form offers: the needs this program books, its sites, the specialties and clinicians
    who see patients for those needs (each clinician named with their specialty in words)."""

    needs: list[tuple[Need, VisitType]]
    sites: list[Location]
    specialties: list[tuple[str, str]]
    clinicians: list[tuple[int, str]]


def options(session: Session) -> Options:
    """The needs whose visit type exists, every site, and the specialties and clinicians offering those needs."""
    by_name = {vt.name: vt for vt in session.scalars(select(VisitType))}
    needs = [(n, by_name[n.visit_type_name]) for n in NEEDS if n.visit_type_name in by_name]
    offered = {vt.id for _, vt in needs}
    people = [c for c in session.scalars(select(Clinician).order_by(Clinician.name)) if _offers(c, offered)]
    specialties = sorted({(c.specialty, specialty_name(c.specialty)) for c in people}, key=lambda s: s[1])
    clinicians = [(c.id, f"{c.name}, {specialty_name(c.specialty)}") for c in people]
    sites = list(session.scalars(select(Location).order_by(Location.id)))
    return Options(needs, sites, specialties, clinicians)


def _offers(clinician: Clinician, visit_type_ids: set[int]) -> bool:
    return any(vt.id in visit_type_ids for vt in clinician.visit_types)


def visit_type_for(session: Session, need: Need) -> VisitType:
    """The visit type a need books, or NotFound when this program does not offer it."""
    vt = session.scalars(select(VisitType).where(VisitType.name == need.visit_type_name)).first()
    if vt is None:
        raise NotFound(f"{need.label} cannot be booked online here; please call the clinic.")
    return vt


def locale_of(patient: Patient) -> str:
    """The patient's clock style: 12-hour US or 24-hour UK."""
    return patient.locale or locale_for(patient.region, patient.timezone)


def _names(session: Session, slots: list[Slot]) -> tuple[dict[int, Clinician], dict[int, Location]]:
    cids, lids = {s.clinician_id for s in slots}, {s.location_id for s in slots}
    clinicians = {c.id: c for c in session.scalars(select(Clinician).where(Clinician.id.in_(cids)))}
    sites = {loc.id: loc for loc in session.scalars(select(Location).where(Location.id.in_(lids)))}
    return clinicians, sites


def present(session: Session, patient: Patient, slots: list[Slot]) -> list[Day]:
    """Slots as the patient reads them: grouped by their own day, their clock first and the site's (by its city)
    second when it differs, each with the clinician and their specialty."""
    zone, locale = get_zone(patient.timezone), locale_of(patient)
    clinicians, sites = _names(session, slots)

    def choice(s: Slot) -> Choice:
        site, who = sites[s.location_id], clinicians.get(s.clinician_id)
        label = time_label(s.start, zone, get_zone(site.timezone), site.city, locale)
        where = f"Video visit ({site.city} team)" if s.mode == "virtual" else f"{site.name}, {site.city}"
        name, specialty = (who.name, specialty_name(who.specialty)) if who else ("A clinician", "")
        return Choice(s, label, name, specialty, where)

    return [Day(d, day_heading(d, locale), [choice(s) for s in group]) for d, group in by_day(slots, _start, zone)]


def _start(slot: Slot) -> datetime:
    return slot.start


@dataclass(frozen=True)
class Results:
    """One page of free times: by the patient's day, the instant after which the next page starts (None: no
    later times), the first local date looked at, and the zone the times are in, in words."""

    days: list[Day]
    next_after: datetime | None
    first_day: date
    from_heading: str
    zone_name: str

    @property
    def empty(self) -> bool:
        """No time on this page."""
        return not self.days


def first_times(session: Session, patient: Patient, q: CareQuery, *, now: datetime, window=Window()) -> Results:
    """Free times for `q` across clinicians and sites, in the patient's zone, by day: the earliest, or those
    from the date the patient picked, or those after the previous page's last time (`window`).

    Refuses (UrgentOpen, IntakeRequired) when routine booking must wait.
    """
    intake.check_gate(session, patient.id, q.need)
    vt = visit_type_for(session, q.need)
    if q.mode not in vt.modes:
        raise Invalid({"mode": f"{q.need.label} is offered only as a video visit."}, "Choose a video visit.")
    zone = get_zone(patient.timezone)
    today = local_date(now, zone)
    first = max(window.first or today, today)
    sq = SlotQuery(
        vt.id, first, today + timedelta(days=HORIZON_DAYS), zone, location_id=q.location_id, mode=q.mode,
        patient_region=q.region, clinician_id=q.seen_by, specialty=q.specialty,
    )  # fmt: skip
    slots = _after(session, sq, window.after, now) if window.after else search(session, _limit(sq), now=now)
    page, next_after = _cut(slots)
    shown_from, locale = local_date(window.after, zone) if window.after else first, locale_of(patient)
    heading, zone_name = day_heading(shown_from, locale), zone_label(zone, locale)
    return Results(present(session, patient, page), next_after, shown_from, heading, zone_name)


def _limit(sq: SlotQuery) -> SlotQuery:
    return replace(sq, limit=FIRST_TIMES + 1)  # one more than a page: is there a later time?


def _after(session: Session, sq: SlotQuery, after: datetime, now: datetime) -> list[Slot]:
    """The times after `after`: the rest of its local day (all of it), then the days after (a page's worth)."""
    day = local_date(after, sq.zone)
    same_day = [s for s in search(session, replace(sq, first=day, last=day), now=now) if s.start > after]
    more = FIRST_TIMES + 1 - len(same_day)
    rest = search(session, replace(_limit(sq), first=day + timedelta(days=1), limit=more), now=now) if more > 0 else []
    return same_day + rest


def _cut(slots: list[Slot]) -> tuple[list[Slot], datetime | None]:
    """A page of `slots` and where the next starts; a page never ends inside a start several clinicians share,
    so the next page (times strictly after) loses none."""
    if len(slots) <= FIRST_TIMES:
        return slots, None
    page = slots[:FIRST_TIMES]
    if page[-1].start == slots[FIRST_TIMES].start:
        page = [s for s in page if s.start != page[-1].start] or page
    return page, page[-1].start


@dataclass(frozen=True)
class Confirmation:
    """What the confirm page shows before booking."""

    query: CareQuery
    pick: Pick
    visit_type: VisitType
    clinician: Clinician
    site: Location
    when: str
    specialty: str


def confirmation(session: Session, patient: Patient, q: CareQuery, pick: Pick) -> Confirmation:
    """The summary of a picked time (NotFound when the clinician or site does not exist)."""
    intake.check_gate(session, patient.id, q.need)
    vt = visit_type_for(session, q.need)
    clinician, site = session.get(Clinician, pick.clinician_id), session.get(Location, pick.location_id)
    if clinician is None or site is None:
        raise NotFound("That time is no longer available.")
    when = own_first(pick.start, get_zone(patient.timezone), get_zone(site.timezone), site.city, locale_of(patient))
    return Confirmation(q, pick, vt, clinician, site, when, specialty_name(clinician.specialty))


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


def call_line(session: Session, patient: Patient, q: CareQuery | None, lines, fallback: str | None):
    """The number to call about booking (the chosen site's, else the patient's region's), for the patient's
    country; None when none is configured (`lines`, `fallback`: the configured lines by region)."""
    site = session.get(Location, q.location_id) if q and q.location_id else None
    return phones.clinic_line(patient, site, lines, fallback)


def again_params(session: Session, appt: Appointment) -> dict | None:
    """Find-care parameters to book again what `appt` was (the same need, way, site and clinician), or None
    when that visit type is not one a patient books online (then they call)."""
    vt = session.get(VisitType, appt.visit_type_id)
    need = next((n for n in NEEDS if vt is not None and n.visit_type_name == vt.name), None)
    if need is None:
        return None
    region = (appt.patient_region or appt.patient.region) if appt.mode == "virtual" else None
    q = CareQuery(need, appt.mode, appt.location_id, region, seen_by=appt.clinician_id)
    return q.params()
