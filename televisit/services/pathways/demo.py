"""The demo program's care as the program gives it: scanners and linacs, the visit types they serve, joint
visits, the two clinic-day pathways, and (on request) demo patients' radiosurgery courses and clinic days,
booked through the same services as every booking. Idempotent, like the rest of `seed`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from televisit.domain.roles import SCHEDULER, Actor
from televisit.domain.timezones import get_zone, local_date, parse_hhmm
from televisit.models import Clinician, Course, Itinerary, Location, Pathway, Patient, Resource, ResourceRule, VisitType
from televisit.services.pathways import courses, itineraries
from televisit.services.pathways.options import OptionsQuery, day_options

V, P = "virtual", "in_person"
CLEVELAND, WESTON, LONDON = "Cleveland Main Campus", "Weston Florida Clinic", "London Spine Centre"
WEEKDAYS = range(5)

MRI = "Whole-spine MRI"
IMAGING_IN_CLINIC = "Imaging review (in clinic)"
NEUROSURGERY = "Neurosurgery consultation"
RADIATION_ONCOLOGY = "Radiation oncology consultation"
JOINT = "Joint spine consultation"
RADIOSURGERY = "Radiosurgery treatment"  # the seed's own visit type: it now holds a linac
TEAM = ["neurosurgery", "radiation_oncology"]

# name, minutes, modes, buffer before, buffer after, min notice (min), max advance (days), resource kinds, team
VISIT_TYPES = [
    (MRI, 60, [P], 0, 15, 24 * 60, 120, ["mri"], []),
    (IMAGING_IN_CLINIC, 30, [P], 0, 0, 24 * 60, 120, [], []),
    (NEUROSURGERY, 45, [V, P], 0, 10, 24 * 60, 120, [], []),
    (RADIATION_ONCOLOGY, 45, [V, P], 0, 10, 24 * 60, 120, [], []),
    (JOINT, 60, [V, P], 0, 10, 24 * 60, 120, [], TEAM),
]
RESOURCE_KINDS = {RADIOSURGERY: ["linac"]}

# Who gives the new steps every weekday (same shape as seed.CLINICIANS): radiosurgery fractions run on
# consecutive weekdays with one radiation oncologist, and each site with a scanner has a neuroradiologist.
_TREATS = [RADIOSURGERY, RADIATION_ONCOLOGY, JOINT]
_IMAGES = [MRI, IMAGING_IN_CLINIC]
CLINICIANS = [
    (
        "Dr. Samuel Osei",
        "radiation_oncology",
        "samuel.osei",
        ["US-OH", "US-PA", "US-FL"],
        _TREATS,
        [(CLEVELAND, wd, "08:00", "16:00", [P]) for wd in WEEKDAYS],
    ),
    (
        "Dr. Anika Shah",
        "radiation_oncology",
        "anika.shah",
        ["GB"],
        _TREATS,
        [(LONDON, wd, "08:30", "16:30", [P]) for wd in WEEKDAYS],
    ),
    (
        "Dr. Lena Fischer",
        "neuroradiology",
        "lena.fischer",
        ["GB"],
        _IMAGES,
        [(LONDON, wd, "08:00", "16:00", [P]) for wd in WEEKDAYS],
    ),
    (
        "Dr. Marcus Webb",
        "neuroradiology",
        "marcus.webb",
        ["US-FL", "US-GA"],
        _IMAGES,
        [(WESTON, wd, "08:00", "16:00", [P]) for wd in WEEKDAYS],
    ),
]

# site, name, kind, weekday hours
RESOURCES = [
    (CLEVELAND, "MRI scanner 1", "mri", "07:00", "19:00"),
    (WESTON, "MRI scanner 1", "mri", "08:00", "17:00"),
    (LONDON, "MRI scanner 1", "mri", "08:00", "18:00"),
    (CLEVELAND, "Linac 1", "linac", "07:30", "17:30"),
    (LONDON, "Linac 1", "linac", "08:00", "17:00"),
]

METASTASIS_DAY, SECOND_OPINION_DAY = "New spinal metastasis day", "Second opinion day"
PATHWAYS = [
    dict(
        name=METASTASIS_DAY,
        steps=[MRI, NEUROSURGERY, RADIATION_ONCOLOGY],
        min_gap_minutes=15,
        max_gap_minutes=120,
        self_bookable=False,
        description="A whole-spine MRI, then the neurosurgeon and the radiation oncologist, at one site on one day.",
    ),
    dict(
        name=SECOND_OPINION_DAY,
        steps=[IMAGING_IN_CLINIC, NEUROSURGERY],
        min_gap_minutes=15,
        max_gap_minutes=120,
        self_bookable=True,
        description="Go through your scans with a specialist, then see a neurosurgeon: one trip, on one day.",
    ),
]

# demo patients (records only, no sign-in): handle, name, zone, region
DEMO_PATIENTS = [
    ("morgan.avery", "Morgan Avery", "America/New_York", "US-OH"),
    ("harriet.cole", "Harriet Cole", "Europe/London", "GB-ENG"),
    ("jordan.blake", "Jordan Blake", "America/New_York", "US-PA"),
    ("casey.morgan", "Casey Morgan", "America/New_York", "US-FL"),
]
# how the desk tells the demo patients apart: date of birth and MRN (the demo sign-in's are in services/seed.py)
DEMO_IDENTITY = {
    "morgan.avery": (date(1958, 3, 14), "CLE-004512"),
    "harriet.cole": (date(1949, 11, 2), "LON-118203"),
    "jordan.blake": (date(1971, 6, 30), "CLE-007731"),
    "casey.morgan": (date(1983, 1, 9), "WES-002264"),
}
# radiosurgery courses: patient, fractions, site, radiation oncologist
COURSES = [
    ("morgan.avery", 1, CLEVELAND, "samuel.osei"),
    ("harriet.cole", 3, LONDON, "anika.shah"),
    ("jordan.blake", 5, CLEVELAND, "samuel.osei"),
]
# clinic days: patient email, pathway, site
DAYS = [
    ("casey.morgan@demo.televisit.local", METASTASIS_DAY, CLEVELAND),
    ("patient@demo.televisit.local", SECOND_OPINION_DAY, LONDON),  # the demo sign-in, when it exists
]
SEARCH_DAYS = 28
DESK = Actor(None, SCHEDULER)  # type: ignore[arg-type]  # the seed books as the desk, no user behind it


def _upsert(session: Session, model, where: dict, values: dict):
    row = session.scalars(select(model).filter_by(**where)).first()
    if row is None:
        row = model(**where, **values)
        session.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    return row


def visit_types(session: Session, existing: dict[str, VisitType]) -> dict[str, VisitType]:
    """The care visit types (created or updated), and what the seed's own ones hold (a linac)."""
    out = {}
    for name, minutes, modes, before, after, notice, advance, kinds, team in VISIT_TYPES:
        values = dict(
            duration_minutes=minutes,
            modes=modes,
            buffer_before_minutes=before,
            buffer_after_minutes=after,
            min_notice_minutes=notice,
            max_advance_days=advance,
            resource_kinds=kinds,
            team_specialties=team,
        )
        out[name] = _upsert(session, VisitType, {"name": name}, values)
    for name, kinds in RESOURCE_KINDS.items():
        existing[name].resource_kinds = kinds
    return out


def resources(session: Session, sites: dict[str, Location]) -> list[Resource]:
    """The scanners and linacs, each open on weekdays."""
    out = []
    for site, name, kind, start, end in RESOURCES:
        res = _upsert(session, Resource, {"location_id": sites[site].id, "name": name}, {"kind": kind})
        res.rules = [
            ResourceRule(weekday=wd, start_minute=parse_hhmm(start), end_minute=parse_hhmm(end)) for wd in WEEKDAYS
        ]
        out.append(res)
    return out


def pathways(session: Session, vts: dict[str, VisitType]) -> list[Pathway]:
    """The clinic-day pathways, every step in person (a day is one trip)."""
    out = []
    for spec in PATHWAYS:
        steps = [{"visit_type_id": vts[name].id, "mode": P} for name in spec["steps"]]
        values = {k: v for k, v in spec.items() if k != "name"} | {"steps": steps}
        out.append(_upsert(session, Pathway, {"name": spec["name"]}, values))
    return out


def demo_bookings(session: Session, *, now: datetime) -> dict[str, int]:
    """Book the demo courses and clinic days that are not booked yet; counts of those booked now."""
    patients = {handle: _demo_patient(session, handle, *rest, now=now) for handle, *rest in DEMO_PATIENTS}
    session.commit()
    for handle, count, site, doc in COURSES:
        _course(session, patients[handle], count, site, doc, now)
    for email, name, site in DAYS:
        _day(session, email, name, site, now)
    return {"demo courses": _count(session, Course), "demo clinic days": _count(session, Itinerary)}


def _count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.status == "booked"))


def _demo_patient(session: Session, handle: str, name: str, zone: str, region: str, *, now: datetime) -> Patient:
    email = f"{handle}@demo.televisit.local"
    patient = _patient(session, email)
    if patient is None:
        patient = Patient(email=email, name=name, timezone=zone, region=region, sms_opt_in=False, created_at=now)
        session.add(patient)
    if patient.date_of_birth is None and patient.mrn is None:  # a re-run keeps what the desk may have changed
        patient.date_of_birth, patient.mrn = DEMO_IDENTITY[handle]
    return patient


def _patient(session: Session, email: str) -> Patient | None:
    return session.scalars(select(Patient).where(Patient.email == email).order_by(Patient.id)).first()


def _site(session: Session, name: str) -> Location:
    return session.scalars(select(Location).where(Location.name == name)).one()


def _course(session: Session, patient: Patient, count: int, site_name: str, handle: str, now: datetime) -> None:
    """Book the earliest `count`-fraction course of the next weeks for `patient`, unless they have one."""
    held = select(Course.id).where(Course.patient_id == patient.id, Course.count == count, Course.status == "booked")
    if session.scalars(held).first() is not None:
        return
    site = _site(session, site_name)
    doc = session.scalars(select(Clinician).where(Clinician.email == f"{handle}@demo.televisit.local")).one()
    vt = session.scalars(select(VisitType).where(VisitType.name == RADIOSURGERY)).one()
    spec = courses.CourseSpec(vt.id, doc.id, site.id, count, "weekdays")
    zone = get_zone(site.timezone)
    first = local_date(now, zone) + timedelta(days=1)
    found = courses.options(session, spec, first, first + timedelta(days=SEARCH_DAYS), zone, now=now, limit=1)
    if found:
        courses.book(session, courses.CourseRequest(spec, patient.id, found[0][0].start), actor=DESK, now=now)


def _day(session: Session, email: str, pathway_name: str, site_name: str, now: datetime) -> None:
    """Book the earliest clinic day of the next weeks for the patient with `email`, unless they have one."""
    patient = _patient(session, email)
    if patient is None:
        return
    pathway = session.scalars(select(Pathway).where(Pathway.name == pathway_name)).one()
    held = select(Itinerary.id).where(
        Itinerary.patient_id == patient.id, Itinerary.pathway_id == pathway.id, Itinerary.status == "booked"
    )
    if session.scalars(held).first() is not None:
        return
    site, zone = _site(session, site_name), get_zone(patient.timezone)
    first = local_date(now, zone) + timedelta(days=1)
    q = OptionsQuery(first, first + timedelta(days=SEARCH_DAYS), zone, site.id, patient.region, limit=1)
    found = day_options(session, pathway, q, now=now)
    if not found:
        return
    steps = [
        itineraries.StepRequest(s.start, s.clinician_id, s.location_id, s.mode, s.clinician_ids or None, s.resource_ids)
        for s in found[0].steps
    ]
    itineraries.book(session, pathway.id, steps, actor=DESK, now=now, patient_id=patient.id)
