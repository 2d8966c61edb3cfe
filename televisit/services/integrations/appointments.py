"""What the FHIR facade reads of appointments beyond the rows: the names of their parties, one page of a
search with its total, and the other steps of a clinic day or course (each step's Appointment names them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from televisit.domain.errors import Invalid
from televisit.domain.roles import Actor
from televisit.models import Appointment, Clinician, Location, Patient, Resource, VisitType
from televisit.services.booking import appointments as booking


@dataclass(frozen=True)
class Names:
    """Display names of the parties an Appointment names (small tables, read once per answer)."""

    clinicians: dict[int, str]
    visit_types: dict[int, str]
    resources: dict[int, str]
    locations: dict[int, tuple[str, str]]  # id -> (name, IANA zone)
    patients: dict[int, str] = field(default_factory=dict)
    steps: dict[int, list[int]] = field(default_factory=dict)  # appointment id -> its day's or course's others


def names(session: Session, appts: Iterable[Appointment] = (), patient_ids: Iterable[int] = ()) -> Names:
    """The catalog's names, those of the patients `patient_ids`, and the other steps of `appts`."""
    wanted = sorted(set(patient_ids))
    patients = {}
    if wanted:
        patients = dict(session.execute(select(Patient.id, Patient.name).where(Patient.id.in_(wanted))).all())
    return Names(
        clinicians=dict(session.execute(select(Clinician.id, Clinician.name)).all()),
        visit_types=dict(session.execute(select(VisitType.id, VisitType.name)).all()),
        resources=dict(session.execute(select(Resource.id, Resource.name)).all()),
        locations={i: (n, tz) for i, n, tz in session.execute(select(Location.id, Location.name, Location.timezone))},
        patients=patients,
        steps=other_steps(session, appts),
    )


def page(
    session: Session, f: booking.AppointmentFilter, *, actor: Actor, offset: int, count: int
) -> tuple[list[Appointment], int]:
    """The appointments `actor` may see (as `/api/v1` shows them) matching `f`, by start: `count` of them from
    `offset`, and how many match in all."""
    stmt = booking.visible(f, actor=actor)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    found = list(session.scalars(stmt.offset(offset).limit(count))) if count else []
    return found, total or 0


def other_steps(session: Session, appts: Iterable[Appointment]) -> dict[int, list[int]]:
    """For each appointment that is a step of a clinic day or a visit of a course: the ids of the others, by
    start (one query for all)."""
    appts = list(appts)
    days = {a.itinerary_id for a in appts if a.itinerary_id}
    courses = {a.course_id for a in appts if a.course_id}
    if not (days or courses):
        return {}
    a = Appointment
    stmt = select(a.id, a.itinerary_id, a.course_id).where(or_(a.itinerary_id.in_(days), a.course_id.in_(courses)))
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for appointment_id, day, course in session.execute(stmt.order_by(a.start_at, a.id)):
        groups[("day", day) if day else ("course", course)].append(appointment_id)
    out = {}
    for appt in appts:
        key = ("day", appt.itinerary_id) if appt.itinerary_id else ("course", appt.course_id)
        if appt.itinerary_id or appt.course_id:
            out[appt.id] = [i for i in groups[key] if i != appt.id]
    return out


def patient_region(session: Session, patient_id: int, field_name: str = "patient") -> str | None:
    """The region a patient is in (licensure of video visits); Invalid when there is no such patient."""
    row = session.execute(select(Patient.id, Patient.region).where(Patient.id == patient_id)).first()
    if row is None:
        raise Invalid({field_name: "no such patient"})
    return row.region
