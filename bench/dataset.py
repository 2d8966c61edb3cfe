"""A realistic program for the benchmark: 3 sites, N clinicians with weekly rules, patients, and
appointments filling the near weeks. Bookings are placed with the same pure slot engine the app uses
(`free_slots`), so they sit on the slot grid and respect buffers and notice; they are then written in
bulk with Core inserts (the exclusion constraint still checks every row)."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from televisit.domain.availability import ClinicianDay, Intervals, Rule, free_slots
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.models import Appointment, AvailabilityRule, Clinician, Location, Patient, TimeOff, VisitType
from televisit.services.booking.search import visit_spec
from televisit.services.seed import LOCATIONS, VISIT_TYPES, visit_type_values

V, P = "virtual", "in_person"
US_STATES = ["US-OH", "US-FL", "US-PA", "US-MI", "US-NY", "US-IN", "US-KY", "US-WV", "US-GA"]
CONSULTS = ["New patient consultation", "Second opinion", "Follow-up", "Imaging review"]
RADIO = CONSULTS + ["Radiosurgery planning", "Radiosurgery treatment"]
SPECIALTIES = [
    ("neurosurgery", CONSULTS),
    ("orthopaedic_spine_surgery", CONSULTS),
    ("radiation_oncology", RADIO),
    ("medical_oncology", CONSULTS[:3]),
    ("neuroradiology", ["Imaging review", "Surveillance MRI"]),
]
# (home site index, second site index or None) cycling over the clinicians: Cleveland-heavy, as the program is.
HOMES = [(0, None), (0, None), (1, None), (2, None), (0, 1), (2, None), (0, None), (1, None), (2, None), (0, None)]

Log = Callable[[str], None]


@dataclass
class Dataset:
    """Ids the measurements need."""

    site_ids: list[int]
    zones: dict[int, str]
    visit_type_ids: dict[str, int]
    clinician_ids: list[int]
    patient_ids: list[int]
    appointments: int = 0
    rules: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _hours(rng: random.Random, site: int) -> list[tuple[int, int, list[str]]]:
    """One working day: (start minute, end minute, modes) windows in the site's wall time."""
    open_at = 9 * 60 if site == 2 else rng.choice([7 * 60 + 30, 8 * 60, 8 * 60 + 30])
    shape = rng.random()
    if shape < 0.55:  # full day with lunch; afternoons sometimes video only
        return [(open_at, open_at + 240, [V, P]), (open_at + 300, open_at + 540, rng.choice([[V, P], [V]]))]
    if shape < 0.85:
        return [(open_at, open_at + 480, [V, P])]
    return [(open_at, open_at + 240, rng.choice([[V, P], [P], [V]]))]


def _catalog(rng: random.Random, n_clinicians: int, log: Log) -> tuple[list[Location], dict[str, VisitType]]:
    sites = [Location(**spec) for spec in LOCATIONS]
    vts = {}
    for spec in VISIT_TYPES:
        values = visit_type_values(spec)
        vts[values["name"]] = VisitType(**values)
    db.session.add_all([*sites, *vts.values()])
    db.session.flush()
    for i in range(n_clinicians):
        specialty, offered = SPECIALTIES[i % len(SPECIALTIES)]
        home, second = HOMES[i % len(HOMES)]
        london = home == 2
        licenses = ["GB"] if london else ["US-OH", "US-FL", *rng.sample(US_STATES[2:], 2)]
        c = Clinician(
            name=f"Dr. Bench {i:02d}",
            specialty=specialty,
            email=f"bench{i:02d}@bench.televisit.local",
            licenses=licenses,
        )
        c.visit_types = [vts[n] for n in offered]
        days = sorted(rng.sample(range(5), 4))
        rules = []
        for wd in days:
            site = second if second is not None and wd == days[-1] else home
            loc_id = sites[site].id
            for a, b, modes in _hours(rng, site):
                rules.append(
                    AvailabilityRule(location_id=loc_id, weekday=wd, start_minute=a, end_minute=b, modes=modes)
                )
        c.rules = rules
        db.session.add(c)
    db.session.commit()
    log(f"  catalog: {len(sites)} sites, {len(vts)} visit types, {n_clinicians} clinicians")
    return sites, vts


def _patients(n: int, now: datetime) -> list[int]:
    rows = [
        {
            "name": f"Bench Patient {i}",
            "email": f"patient{i}@bench.televisit.local",
            "phone": f"+1216555{i:04d}",
            "timezone": "Europe/London" if i % 4 == 3 else "America/New_York",
            "region": "GB-ENG" if i % 4 == 3 else ("US-OH" if i % 2 else "US-FL"),
            "sms_opt_in": True,
            "email_opt_in": True,
            "created_at": now,
        }
        for i in range(n)
    ]
    db.session.execute(insert(Patient), rows)
    db.session.commit()
    return list(db.session.scalars(select(Patient.id).order_by(Patient.id)))


def _time_off(rng: random.Random, clinician_ids: list[int], now: datetime) -> list[dict]:
    """A week away for one clinician in ten, somewhere in the next two months."""
    rows = []
    for cid in clinician_ids[::10]:
        start = (now + timedelta(days=rng.randrange(14, 60))).replace(hour=0, minute=0, second=0, microsecond=0)
        rows.append({"clinician_id": cid, "start_at": start, "end_at": start + timedelta(days=7), "reason": "leave"})
    if rows:
        db.session.execute(insert(TimeOff), rows)
        db.session.commit()
    return rows


def _place(rng, c: Clinician, vts, zones, day_offset, now, placed, off) -> list[dict]:
    """Fill one clinician's working day (every site they work at that day) to about 85%."""
    by_loc: dict[int, list[Rule]] = defaultdict(list)
    for r in c.rules:
        by_loc[r.location_id].append(Rule(r.location_id, r.weekday, r.start_minute, r.end_minute, frozenset(r.modes)))
    specs = [visit_spec(vt) for vt in c.visit_types]
    rows = []
    for loc_id, rules in by_loc.items():
        zone = zones[loc_id]
        day = local_date(now, zone) + timedelta(days=day_offset)
        if day.weekday() not in {r.weekday for r in rules}:
            continue
        for _ in range(40):
            visit = rng.choice(specs)
            cd = ClinicianDay(c.id, loc_id, zone, day, tuple(rules), Intervals(placed[c.id]), Intervals(off[c.id]))
            slots = free_slots(cd, visit, now=now)
            if not slots:
                continue
            if rng.random() < 0.05:  # leave a hole, as cancellations and odd gaps do
                placed[c.id].append((slots[0].start, slots[0].end))
                continue
            s = rng.choice(slots[:3])
            block = visit.blocked(s.start)
            placed[c.id].append(block)
            rows.append(
                {
                    "clinician_id": c.id,
                    "location_id": loc_id,
                    "visit_type_id": visit.id,
                    "mode": s.mode,
                    "start_at": s.start,
                    "end_at": s.end,
                    "block_start": block[0],
                    "block_end": block[1],
                }
            )
    return rows


def _appointments(rng, clinicians, vts, zones, n, now, patient_ids, off_rows, log: Log) -> int:
    placed: dict[int, list] = defaultdict(list)
    off: dict[int, list] = defaultdict(list)
    for r in off_rows:
        off[r["clinician_id"]].append((r["start_at"], r["end_at"]))
    rows: list[dict] = []
    day = 0
    while len(rows) < n and day < 120:
        for c in rng.sample(clinicians, len(clinicians)):
            rows.extend(_place(rng, c, vts, zones, day, now, placed, off))
        day += 1
        if day % 7 == 0:
            log(f"  placed {min(len(rows), n)}/{n} appointments ({day} days filled)")
    rows = rows[:n]
    for i, row in enumerate(rows):
        row.update(
            uid=f"{uuid.uuid4()}@bench",
            patient_id=patient_ids[i % len(patient_ids)],
            status="booked",
            patient_region=None,
            sequence=0,
            created_at=now,
            updated_at=now,
        )
        if row["mode"] == V:
            row["patient_region"] = "GB" if zones[row["location_id"]].key == "Europe/London" else "US-OH"
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(Appointment), rows[start : start + 1000])
        log(f"  inserted {min(start + 1000, len(rows))}/{len(rows)} appointments")
    db.session.commit()
    return len(rows)


def build(*, n_clinicians: int, n_appointments: int, n_patients: int, now: datetime, seed: int, log: Log) -> Dataset:
    """Load the whole program into the app's (fresh, migrated) database."""
    rng = random.Random(seed)
    sites, vts = _catalog(rng, n_clinicians, log)
    zones = {s.id: get_zone(s.timezone) for s in sites}
    clinicians = list(db.session.scalars(select(Clinician).order_by(Clinician.id)))
    patient_ids = _patients(n_patients, now)
    log(f"  patients: {len(patient_ids)}")
    off_rows = _time_off(rng, [c.id for c in clinicians], now)
    n = _appointments(rng, clinicians, vts, zones, n_appointments, now, patient_ids, off_rows, log)
    db.session.commit()
    # The steady state of a live database: autovacuum has analysed the tables and set the visibility map
    # (which lets the search read its partial index without visiting the table).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    return Dataset(
        site_ids=[s.id for s in sites],
        zones={s.id: s.timezone for s in sites},
        visit_type_ids={name: vt.id for name, vt in vts.items()},
        clinician_ids=[c.id for c in clinicians],
        patient_ids=patient_ids,
        appointments=n,
        rules=sum(len(c.rules) for c in clinicians),
        counts={"time off": len(off_rows)},
    )
