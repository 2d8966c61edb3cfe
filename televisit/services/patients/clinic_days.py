"""Clinic days for patients: the pathways they may book themselves, the days on offer read on their own
clock, and booking one as themself. The options and the booking are the pathways services' own (the same
engine as every slot and booking); this module only words them for the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.care import ChosenStep, day_heading, need_for, own_clock_first, preparation, step_value
from televisit.domain.errors import NotFound
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone, local_date
from televisit.models import Clinician, Itinerary, Location, Pathway, Patient, VisitType
from televisit.services.pathways import catalog as pathways
from televisit.services.pathways import itineraries
from televisit.services.pathways.options import DayOption, OptionsQuery, day_options
from televisit.services.patients import intake
from televisit.services.patients.find_care import locale_of

SEARCH_DAYS = 56  # how far ahead a patient's options reach (each visit type's own horizon applies within)
OPTIONS = 10  # how many days to offer at once


@dataclass(frozen=True)
class Names:
    """The catalog's names, read once per page."""

    visit_types: dict[int, VisitType]
    clinicians: dict[int, str]
    sites: dict[int, Location]


def names(session: Session) -> Names:
    """Visit types, clinician names and sites by id (small tables)."""
    return Names(
        {vt.id: vt for vt in session.scalars(select(VisitType))},
        dict(session.execute(select(Clinician.id, Clinician.name)).all()),
        {loc.id: loc for loc in session.scalars(select(Location))},
    )


@dataclass(frozen=True)
class Step:
    """One step of a clinic day as the patient reads it."""

    visit_type: str
    with_whom: str
    where: str
    time: str  # their clock first, the site's second (named by its city)
    start: datetime
    bring: str | None  # what to bring or do (an MRI step), in plain words


def place(site: Location, mode: str) -> str:
    """Where a visit happens, as a patient reads it."""
    return f"Video visit ({site.city} team)" if mode == "virtual" else f"{site.name}, {site.city}"


def join_names(people: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return people[0] if len(people) == 1 else f"{', '.join(people[:-1])} and {people[-1]}"


def step(known: Names, patient: Patient, visit) -> Step:
    """`visit` (a Slot or an Appointment: start, visit type, site, mode, attending clinicians) for `patient`."""
    vt, site = known.visit_types[visit.visit_type_id], known.sites[visit.location_id]
    start = visit.start if isinstance(visit, Slot) else visit.start_at
    attending = visit.attending if isinstance(visit, Slot) else visit.attending_ids
    time = own_clock_first(start, get_zone(patient.timezone), get_zone(site.timezone), site.city, locale_of(patient))
    who = join_names([known.clinicians.get(c, "A clinician") for c in attending])
    return Step(vt.name, who, place(site, visit.mode), time, start, preparation(vt.resource_kinds))


@dataclass(frozen=True)
class DayChoice:
    """One clinic day on offer: its date at the site, the site, the patient's heading, and its steps."""

    date: date
    location_id: int
    heading: str
    site: str
    steps: list[Step]
    values: list[str]  # each step as a form value (domain.care.step_value)

    def params(self) -> dict:
        """The day as URL parameters (the confirm link)."""
        return {"date": self.date.isoformat(), "site": self.location_id}


def self_bookable(session: Session) -> list[Pathway]:
    """The pathways a patient may book themself."""
    return pathways.list_pathways(session, self_bookable_only=True)


def pathway_steps(session: Session, pathway: Pathway) -> list[str]:
    """The names of the pathway's steps, in order."""
    return [session.get(VisitType, s["visit_type_id"]).name for s in pathway.steps]


def pathway_for_patient(session: Session, pathway_id: int | None) -> Pathway:
    """A self-bookable pathway (NotFound for any other, as if it did not exist)."""
    pathway = session.get(Pathway, pathway_id) if pathway_id else None
    if pathway is None or not pathway.self_bookable:
        raise NotFound("This clinic day cannot be booked online. Please call the clinic to arrange it.")
    return pathway


def check_gate(session: Session, patient: Patient) -> None:
    """As for a second opinion: no routine booking while an urgent case is open, nor before the intake."""
    intake.check_gate(session, patient.id, need_for("second-opinion"))


def _choice(known: Names, patient: Patient, option: DayOption) -> DayChoice:
    site = known.sites[option.location_id]
    own = local_date(option.steps[0].start, get_zone(patient.timezone))
    steps = [step(known, patient, s) for s in option.steps]
    values = [step_value(s.start, s.attending, s.location_id, s.mode, s.resource_ids) for s in option.steps]
    return DayChoice(
        option.date, option.location_id, day_heading(own, locale_of(patient)), place(site, "in_person"), steps, values
    )


def day_choices(
    session: Session, patient: Patient, pathway: Pathway, *, location_id: int | None, now: datetime
) -> list[DayChoice]:
    """The first days on offer (at one site or any), read on the patient's clock, earliest first."""
    check_gate(session, patient)
    zone = get_zone(patient.timezone)
    first = local_date(now, zone)
    q = OptionsQuery(first, first + timedelta(days=SEARCH_DAYS), zone, location_id, patient.region, OPTIONS)
    known = names(session)
    return [_choice(known, patient, o) for o in day_options(session, pathway, q, now=now)]


def day_choice(
    session: Session, patient: Patient, pathway: Pathway, day: date, location_id: int, *, now: datetime
) -> DayChoice | None:
    """The day on offer at that site on that (site) date, as it is now (None: no longer on offer)."""
    check_gate(session, patient)
    site = session.get(Location, location_id)
    if site is None:
        return None
    q = OptionsQuery(day, day, get_zone(site.timezone), location_id, patient.region, 1)
    found = [o for o in day_options(session, pathway, q, now=now) if o.date == day]
    return _choice(names(session), patient, found[0]) if found else None


def book(
    session: Session,
    actor: Actor,
    patient: Patient,
    pathway: Pathway,
    chosen: list[ChosenStep],
    *,
    now: datetime,
    before_commit=None,
) -> Itinerary:
    """Book the chosen day as the patient, exactly as it was shown, all or nothing (409 naming the step);
    `before_commit(itinerary)` runs in the booking's transaction (the audit event)."""
    check_gate(session, patient)
    steps = [
        itineraries.StepRequest(
            s.start, s.clinician_ids[0], s.location_id, s.mode, s.clinician_ids, s.resource_ids or None
        )
        for s in chosen
    ]
    return itineraries.book(
        session, pathway.id, steps, actor=actor, now=now, patient_region=patient.region, before_commit=before_commit
    )
