"""The demo program: three sites, a spine tumor care team, visit types and weekly availability, with the care
of pathways/demo.py (scanners, linacs, joint visits, clinic-day pathways; on request demo courses and days).
Idempotent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.timezones import parse_hhmm
from televisit.models import AvailabilityRule, Clinician, Location, Patient, User, VisitType
from televisit.services import seed_week
from televisit.services.auth import create_user
from televisit.services.board import demo as tumor_board
from televisit.services.pathways import demo as care

V, P = "virtual", "in_person"
BOTH = [V, P]
US = ["US-OH", "US-FL", "US-PA", "US-MI", "US-NY", "US-IN", "US-KY", "US-WV", "US-GA"]

LOCATIONS = [
    dict(name="Cleveland Main Campus", city="Cleveland", region="US-OH", country="US", timezone="America/New_York"),
    dict(name="Weston Florida Clinic", city="Weston", region="US-FL", country="US", timezone="America/New_York"),
    dict(name="London Spine Centre", city="London", region="GB-ENG", country="GB", timezone="Europe/London"),
]

# name, minutes, modes, buffer before, buffer after, min notice (min), max advance (days)
VISIT_TYPES = [
    ("New patient consultation", 60, BOTH, 0, 10, 24 * 60, 120),
    ("Second opinion", 60, BOTH, 0, 15, 48 * 60, 180),
    ("Follow-up", 30, BOTH, 0, 5, 2 * 60, 180),
    ("Imaging review", 30, [V], 0, 0, 60, 90),
    ("Radiosurgery planning", 90, [P], 15, 15, 72 * 60, 60),
    ("Radiosurgery treatment", 60, [P], 15, 15, 24 * 60, 60),
    ("Surveillance MRI", 45, [P], 10, 10, 24 * 60, 365),
]
CONSULTS = ["New patient consultation", "Second opinion", "Follow-up", "Imaging review"]
RADIO = CONSULTS + ["Radiosurgery planning", "Radiosurgery treatment"]
# care as the program gives it (televisit/services/pathways/demo.py): the steps of clinic days and joint visits
NEURO = CONSULTS + [care.NEUROSURGERY, care.JOINT]
RADONC = RADIO + [care.RADIATION_ONCOLOGY, care.JOINT]

C, W, L = "Cleveland Main Campus", "Weston Florida Clinic", "London Spine Centre"
# name, specialty, email, licences, visit types, [(site, weekday, start, end, modes)]
CLINICIANS = [
    (
        "Dr. Amara Okafor",
        "neurosurgery",
        "amara.okafor",
        US + ["GB"],  # also on the UK medical register: video second opinions for patients in Britain
        NEURO,
        [
            (C, 0, "08:00", "12:00", BOTH),
            (C, 0, "13:00", "17:00", [V]),
            (C, 2, "08:00", "16:00", BOTH),
            (W, 4, "09:00", "15:00", BOTH),
        ],
    ),
    (
        "Dr. Daniel Reyes",
        "neurosurgery",
        "daniel.reyes",
        ["US-OH", "US-PA"],
        NEURO,
        [(C, 1, "07:30", "15:30", BOTH), (C, 3, "07:30", "15:30", BOTH)],
    ),
    (
        "Mr. James Whitfield",
        "neurosurgery",
        "james.whitfield",
        ["GB"],
        NEURO,
        [(L, 0, "09:00", "17:00", BOTH), (L, 3, "09:00", "13:00", [V])],
    ),
    (
        "Dr. Priya Raman",
        "orthopaedic_spine_surgery",
        "priya.raman",
        US,
        CONSULTS,
        [(C, 1, "08:00", "16:00", BOTH), (C, 3, "12:00", "18:00", [V])],
    ),
    (
        "Dr. Marco Bellini",
        "orthopaedic_spine_surgery",
        "marco.bellini",
        ["US-FL", "US-GA"],
        CONSULTS,
        [(W, 0, "08:00", "16:00", BOTH), (W, 2, "08:00", "12:00", BOTH)],
    ),
    (
        "Ms. Sarah Lewis",
        "orthopaedic_spine_surgery",
        "sarah.lewis",
        ["GB"],
        CONSULTS,
        [(L, 1, "08:30", "16:30", BOTH), (L, 4, "08:30", "12:30", [V])],
    ),
    (
        "Dr. Helen Cho",
        "radiation_oncology",
        "helen.cho",
        ["US-OH", "US-MI", "US-PA"],
        RADONC,
        [(C, 0, "08:00", "16:00", BOTH), (C, 2, "08:00", "16:00", [P]), (C, 4, "08:00", "12:00", [V])],
    ),
    (
        "Dr. Omar Haddad",
        "radiation_oncology",
        "omar.haddad",
        ["US-OH", "US-FL"],
        RADONC,
        [(W, 1, "08:00", "16:00", BOTH), (C, 3, "08:00", "16:00", BOTH)],
    ),
    (
        "Dr. Fiona Grant",
        "radiation_oncology",
        "fiona.grant",
        ["GB"],
        RADONC,
        [(L, 2, "09:00", "17:00", BOTH), (L, 4, "09:00", "13:00", BOTH)],
    ),
    (
        "Dr. Lucas Meyer",
        "medical_oncology",
        "lucas.meyer",
        US,
        CONSULTS[:3],
        [(C, 1, "09:00", "17:00", BOTH), (C, 4, "09:00", "17:00", [V])],
    ),
    (
        "Dr. Nadia Petrova",
        "medical_oncology",
        "nadia.petrova",
        ["GB"],
        CONSULTS[:3],
        [(L, 0, "10:00", "18:00", BOTH), (L, 2, "10:00", "14:00", [V])],
    ),
    (
        "Dr. Ethan Brooks",
        "neurology",
        "ethan.brooks",
        US,
        CONSULTS[:3],
        [(C, 2, "09:00", "17:00", BOTH), (W, 3, "09:00", "17:00", [V])],
    ),
    (
        "Dr. Grace Kim",
        "neuroradiology",
        "grace.kim",
        US + ["GB"],
        ["Imaging review", "Surveillance MRI", care.MRI, care.IMAGING_IN_CLINIC],
        [(C, 0, "07:00", "19:00", BOTH), (C, 2, "07:00", "19:00", BOTH), (C, 4, "07:00", "15:00", BOTH)],
    ),
    *care.CLINICIANS,
]
DEMO_USERS = [
    ("admin@demo.televisit.local", "admin", "Ada Admin"),
    ("scheduler@demo.televisit.local", "scheduler", "Sam Scheduler"),
    ("amara.okafor@demo.televisit.local", "clinician", "Dr. Amara Okafor"),
    ("patient@demo.televisit.local", "patient", "Pat Patient"),
]
DEMO_PASSWORD = "televisit-demo"
DEMO_PATIENT_EMAIL, DEMO_PATIENT_IDENTITY = "patient@demo.televisit.local", (date(1962, 7, 21), "LON-100457")


def _upsert(session: Session, model, key: str, values: dict):
    row = session.scalars(select(model).where(getattr(model, key) == values[key])).first()
    if row is None:
        row = model(**values)
        session.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    return row


def visit_type_values(spec: tuple) -> dict:
    """A VISIT_TYPES row as VisitType column values (also used by the benchmark's data set)."""
    name, minutes, modes, before, after, notice, advance = spec
    return dict(
        name=name,
        duration_minutes=minutes,
        modes=modes,
        buffer_before_minutes=before,
        buffer_after_minutes=after,
        min_notice_minutes=notice,
        max_advance_days=advance,
    )


def _visit_types(session: Session) -> dict[str, VisitType]:
    out = {}
    for spec in VISIT_TYPES:
        values = visit_type_values(spec)
        out[values["name"]] = _upsert(session, VisitType, "name", values)
    return out


def _clinician(session: Session, spec, sites: dict[str, Location], vts: dict[str, VisitType]) -> Clinician:
    name, specialty, handle, licenses, offered, rules = spec
    c = _upsert(
        session,
        Clinician,
        "email",
        dict(name=name, specialty=specialty, email=f"{handle}@demo.televisit.local", licenses=licenses),
    )
    c.visit_types = [vts[n] for n in offered]
    c.rules = [
        AvailabilityRule(
            location_id=sites[site].id, weekday=wd, start_minute=parse_hhmm(a), end_minute=parse_hhmm(b), modes=modes
        )
        for site, wd, a, b, modes in rules
    ]
    return c


def seed(session: Session, *, now: datetime, with_users: bool = False, with_bookings: bool = False) -> dict[str, int]:
    """Create or update the demo program; returns counts (`new demo users`: how many of the `demo users` this
    run created). `with_bookings`: also book the demo patients' radiosurgery courses and clinic days, and a few
    visits today and in the next six days (through the booking services, so they hold real time)."""
    sites = {spec["name"]: _upsert(session, Location, "name", spec) for spec in LOCATIONS}
    vts = _visit_types(session)
    vts |= care.visit_types(session, vts)
    session.flush()
    for spec in CLINICIANS:
        _clinician(session, spec, sites, vts)
    held = care.resources(session, sites)
    session.flush()
    days = care.pathways(session, vts)
    session.commit()
    tumor_board.board(session, now=now)  # before the demo bookings: its sessions are its members' busy time
    _demo_identity(session)
    counts = {"locations": len(sites), "visit types": len(vts), "clinicians": len(CLINICIANS)}
    if with_users:
        created = _demo_users(session, now)
        counts |= {"demo users": _count_demo_users(session), "new demo users": created}
    counts |= {"resources": len(held), "pathways": len(days)}
    if not with_bookings:
        return counts
    counts |= care.demo_bookings(session, now=now) | tumor_board.demo_cases(session, now=now)
    return counts | {"demo visits today and this week": seed_week.book_week(session, now=now)}


def _count_demo_users(session: Session) -> int:
    """How many of the demo sign-ins exist (made by this run or an earlier one)."""
    emails = [email for email, _, _ in DEMO_USERS]
    return len(session.scalars(select(User.id).where(User.email.in_(emails))).all())


def _demo_users(session: Session, now: datetime) -> int:
    created = 0
    for email, role, name in DEMO_USERS:
        if session.scalars(select(User).where(User.email == email)).first() is None:
            tz = "Europe/London" if role == "patient" else "America/New_York"
            user = create_user(session, email=email, password=DEMO_PASSWORD, role=role, name=name, now=now, timezone=tz)
            if user.patient:
                user.patient.region, user.patient.phone = "GB-ENG", "+447700900123"
                session.commit()
            created += 1
    return created


def _demo_identity(session: Session) -> None:
    """The demo sign-in's date of birth and MRN, unless the record has some already (a re-run changes nothing)."""
    patient = session.scalars(select(Patient).where(Patient.email == DEMO_PATIENT_EMAIL)).first()
    if patient is not None and patient.date_of_birth is None and patient.mrn is None:
        patient.date_of_birth, patient.mrn = DEMO_PATIENT_IDENTITY
        session.commit()
