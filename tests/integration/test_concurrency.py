"""Many clients booking the same and overlapping slots at once, through a live HTTP server.

Runs on SQLite and on PostgreSQL (the `app` fixture is parametrized by `db_url`). Each
contended group is a set of requests whose blocked intervals (buffers included) pairwise
overlap, so exactly one of them may win; the rest must get 409 slot_unavailable, never a
5xx. Afterwards the database itself is asked whether any two active appointments of the
clinician overlap. The last tests go straight to the database, bypassing the service
check, to prove that the database is the last guard (DESIGN rule 6).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from werkzeug.serving import WSGIRequestHandler, make_server

from televisit.domain import appointments as st
from televisit.domain.availability import Slot
from televisit.extensions import db
from televisit.models import Appointment, Patient
from televisit.services.booking import appointments as booking
from tests import factories as f

NY = ZoneInfo("America/New_York")
WEEKDAYS = range(5)
THREADS = 24
ROUND_DAYS = [date(2027, 3, 8), date(2027, 3, 9), date(2027, 3, 10), date(2027, 3, 16)]  # last one after DST
ACTIVE_SQL = "('booked', 'checked_in', 'in_visit', 'completed')"
OVERLAPPING_PAIRS = text(
    "SELECT count(*) FROM appointments a JOIN appointments b"
    " ON a.clinician_id = b.clinician_id AND a.id < b.id"
    " AND a.block_start < b.block_end AND b.block_start < a.block_end"
    f" WHERE a.status IN {ACTIVE_SQL} AND b.status IN {ACTIVE_SQL}"
)


@dataclass
class Clinic:
    """A Cleveland clinician (Mon-Fri 09:00-17:00) offering visits of different lengths and buffers."""

    location_id: int
    clinician_id: int
    other_clinician_id: int
    consult_id: int  # 60 min, no buffers
    followup_id: int  # 30 min + 15 min buffer after: back-to-back follow-ups collide
    prep_id: int  # 30 min + 30 min buffer before: collides with what ends up to 30 min before it
    patient_ids: list[int]
    headers: dict


def _clinic() -> Clinic:
    cle = f.location()
    consult = f.visit_type("Consult 60", minutes=60)
    followup = f.visit_type("Follow-up 30", minutes=30, after=15)
    prep = f.visit_type("Prep 30", minutes=30, before=30)
    hours = [(cle, wd, 9 * 60, 17 * 60, ("virtual", "in_person")) for wd in WEEKDAYS]
    doc = f.clinician("Dr. Busy", visit_types=[consult, followup, prep], rules=hours, licenses=("US-OH",))
    other = f.clinician("Dr. Other", visit_types=[consult, followup, prep], rules=hours, licenses=("US-OH",))
    f.user("sched@example.org", "scheduler")
    now = datetime(2027, 3, 1, tzinfo=timezone.utc)
    patients = [
        Patient(name=f"P{i}", email=f"p{i}@example.org", timezone="America/New_York", region="US-OH", created_at=now)
        for i in range(THREADS)
    ]
    db.session.add_all(patients)
    db.session.commit()
    clinic = Clinic(cle.id, doc.id, other.id, consult.id, followup.id, prep.id, [p.id for p in patients], {})
    db.session.close()  # hold no transaction (on SQLite: no write lock) while the clients race
    return clinic


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # hundreds of lines per test otherwise
        pass


@pytest.fixture
def live(app, frozen_now):
    """A real threaded HTTP server on a free port, serving `app`; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def clinic(live) -> Clinic:
    c = _clinic()
    r = requests.post(
        f"{live}/api/v1/auth/token", json={"email": "sched@example.org", "password": f.PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    c.headers = {"Authorization": f"Bearer {r.json()['token']}"}
    return c


def _at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), tzinfo=NY).isoformat()


def _body(c: Clinic, visit_type_id: int, start: str, mode: str) -> dict:
    return {
        "visit_type_id": visit_type_id,
        "clinician_id": c.clinician_id,
        "location_id": c.location_id,
        "mode": mode,
        "start": start,
        "patient_region": "US-OH",
    }


def _groups(c: Clinic, day: date) -> list[list[dict]]:
    """Three independent contended groups of 8; inside a group every pair of blocked intervals overlaps."""
    modes = ("virtual", "in_person")
    same = [_body(c, c.consult_id, _at(day, 9), modes[i % 2]) for i in range(8)]

    def mixed(hh: int, last: tuple[int, int, int]) -> list[dict]:
        kinds = [(c.consult_id, hh, 0), (c.followup_id, hh, 0), last]
        return [_body(c, kinds[i % 3][0], _at(day, *kinds[i % 3][1:]), modes[i % 2]) for i in range(8)]

    # 11:00 60 min blocks [11:00, 12:00); 11:00 follow-up [11:00, 11:45); 11:30 follow-up [11:30, 12:15).
    # 14:00 60 min [14:00, 15:00); 14:00 follow-up [14:00, 14:45); 15:00 prep [14:30, 15:30): its visit
    # overlaps neither of the others, only its buffer does. In each group every pair overlaps.
    return [same, mixed(11, (c.followup_id, 11, 30)), mixed(14, (c.prep_id, 15, 0))]


def _fire(base: str, headers: dict, bodies: list[dict]) -> list[tuple[int, dict]]:
    """POST every body from its own thread, all released together by a barrier."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict] | BaseException | None] = [None] * len(bodies)

    def worker(i: int, body: dict) -> None:
        try:
            with requests.Session() as http:
                http.get(f"{base}/api/v1/locations", timeout=30)  # open the connection before the race
                barrier.wait(timeout=30)
                r = http.post(f"{base}/api/v1/appointments", json=body, headers=headers, timeout=60)
                results[i] = (r.status_code, r.json())
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    assert all(r is not None for r in results), "a client thread did not finish"
    return results  # type: ignore[return-value]


def _race_round(base: str, c: Clinic, day: date) -> list[tuple[int, dict]]:
    """One round: all groups of `day` fired at once; check exactly one winner per group."""
    groups = _groups(c, day)
    bodies = [dict(b, patient_id=c.patient_ids[i]) for i, b in enumerate(b for g in groups for b in g)]
    results = _fire(base, c.headers, bodies)
    statuses = Counter(code for code, _ in results)
    assert set(statuses) <= {201, 409}, f"unexpected statuses {statuses}: {[r for r in results if r[0] >= 500]}"
    offset = 0
    for group in groups:
        mine = results[offset : offset + len(group)]
        offset += len(group)
        wins = [body for code, body in mine if code == 201]
        assert len(wins) == 1, f"{day}: {len(wins)} winners in a contended group: {mine}"
        for code, body in mine:
            if code == 409:
                assert body["error"]["code"] == "slot_unavailable"
                assert body["error"].get("reason") == "taken"
    return results


def _active_blocks(clinician_id: int) -> list[tuple[datetime, datetime]]:
    stmt = (
        select(Appointment.block_start, Appointment.block_end)
        .where(Appointment.clinician_id == clinician_id, Appointment.status.in_(st.HOLDS_TIME))
        .order_by(Appointment.block_start)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def _assert_no_overlap(clinician_id: int, expected: int) -> None:
    db.session.rollback()  # a fresh snapshot
    assert db.session.execute(OVERLAPPING_PAIRS).scalar_one() == 0
    blocks = _active_blocks(clinician_id)
    assert len(blocks) == expected
    for (_, end), (start, _) in zip(blocks, blocks[1:], strict=False):
        assert end <= start, f"overlap: {blocks}"
    db.session.rollback()  # release the snapshot (and, on SQLite, the write lock)


@pytest.mark.slow
def test_concurrent_clients_same_and_overlapping_slots_one_winner_each(live, clinic):
    for day in ROUND_DAYS:
        _race_round(live, clinic, day)
    _assert_no_overlap(clinic.clinician_id, expected=3 * len(ROUND_DAYS))
    # The slot list agrees with what was won: a 60-minute slot is offered exactly when it clears every block.
    day = ROUND_DAYS[0]
    blocks = _active_blocks(clinic.clinician_id)
    db.session.rollback()
    r = requests.get(
        f"{live}/api/v1/slots",
        params={"visit_type_id": clinic.consult_id, "from": day.isoformat(), "to": day.isoformat(), "tz": "UTC"},
        timeout=30,
    )
    offered = {s["start"] for s in r.json()["slots"] if s["clinician_id"] == clinic.clinician_id}
    hours = [datetime.combine(day, time(h), tzinfo=NY).astimezone(timezone.utc) for h in range(9, 17)]
    free = {h.isoformat() for h in hours if all(h + timedelta(hours=1) <= a or b <= h for a, b in blocks)}
    assert offered == free and len(free) >= 3


@pytest.mark.slow
def test_database_refuses_overlap_when_the_service_check_is_skipped(live, clinic, monkeypatch):
    """With the Python check switched off, every request reaches INSERT: only the database stands guard."""

    def unchecked(session, req, *, now, exclude_appointment_id=None, snap=None):
        visit = snap.visits[req.visit_type_id]  # the booking hands over the catalog it read
        slot = Slot(req.clinician_id, req.location_id, visit.id, req.mode, req.start, req.start + visit.duration)
        return slot, visit

    monkeypatch.setattr(booking, "checked_slot", unchecked)
    for day in ROUND_DAYS[:2]:
        _race_round(live, clinic, day)
    _assert_no_overlap(clinic.clinician_id, expected=3 * 2)


# --- straight to the database --------------------------------------------------------------


def _row(c: Clinic, start: datetime, minutes: int, *, before=0, after=0, status="booked", clinician_id=None) -> dict:
    now = datetime(2027, 3, 1, tzinfo=timezone.utc)
    end = start + timedelta(minutes=minutes)
    return {
        "uid": f"{uuid.uuid4()}@test",  # unique, so only the overlap guard can refuse the row
        "patient_id": c.patient_ids[0],
        "clinician_id": clinician_id or c.clinician_id,
        "location_id": c.location_id,
        "visit_type_id": c.consult_id,
        "mode": "in_person",
        "status": status,
        "start_at": start,
        "end_at": end,
        "block_start": start - timedelta(minutes=before),
        "block_end": end + timedelta(minutes=after),
        "sequence": 0,
        "created_at": now,
        "updated_at": now,
    }


def _insert(row: dict, engine=None) -> int:
    """One INSERT in its own transaction, bypassing every service check."""
    with (engine or db.engine).begin() as conn:
        return conn.execute(insert(Appointment.__table__).returning(Appointment.__table__.c.id), row).scalar_one()


def _refused(fn) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught:
        fn()
    assert booking.is_overlap(caught.value), caught.value
    return caught.value


def test_database_itself_refuses_overlapping_insert_and_update(app, frozen_now):
    c = _clinic()
    nine = datetime(2027, 3, 8, 14, 0, tzinfo=timezone.utc)  # 09:00 in Cleveland
    first = _insert(_row(c, nine, 60, after=15))  # blocks 09:00-10:15
    # Same slot, a shorter visit inside it, and one whose visit clears it but whose buffer does not.
    _refused(lambda: _insert(_row(c, nine, 60)))
    _refused(lambda: _insert(_row(c, nine + timedelta(minutes=30), 30)))
    _refused(lambda: _insert(_row(c, nine + timedelta(minutes=75), 30, before=15)))
    _refused(lambda: _insert(_row(c, nine + timedelta(minutes=60), 30)))  # inside the 15-minute buffer after
    # Allowed: adjacent blocks, another clinician, and a cancelled appointment (it holds no time).
    later = _insert(_row(c, nine + timedelta(minutes=75), 60))  # blocks 10:15-11:15
    _insert(_row(c, nine, 60, clinician_id=c.other_clinician_id))
    cancelled = _insert(_row(c, nine, 60, status="cancelled"))
    table = Appointment.__table__

    def move(appt_id: int, **values):
        with db.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == appt_id).values(**values))

    # Moving an appointment onto another one, or reviving a cancelled one that overlaps, is refused too.
    _refused(lambda: move(later, block_start=nine + timedelta(minutes=10), start_at=nine + timedelta(minutes=10)))
    _refused(lambda: move(cancelled, status="booked"))
    move(first, status="completed")  # a status change without overlap is fine
    _refused(lambda: move(cancelled, status="checked_in"))
    _assert_no_overlap(c.clinician_id, expected=2)


def test_database_refuses_the_second_of_two_concurrent_transactions(app, frozen_now):
    """Two transactions that both 'passed the check' insert overlapping rows: the second one is refused."""
    c = _clinic()
    nine = datetime(2027, 3, 9, 14, 0, tzinfo=timezone.utc)
    outcome: dict[str, object] = {}
    engine = db.engine  # the thread below has no app context
    first = engine.connect()
    tx = first.begin()
    first.execute(insert(Appointment.__table__), _row(c, nine, 60))

    def second() -> None:
        try:
            _insert(_row(c, nine + timedelta(minutes=30), 30), engine)
            outcome["result"] = "inserted"
        except Exception as exc:  # noqa: BLE001 - checked by the main thread
            outcome["result"] = exc

    t = threading.Thread(target=second)
    try:
        t.start()
        t.join(timeout=1.0)
        waited = t.is_alive()
        tx.commit()
    finally:
        first.close()
        t.join(timeout=30)
    assert waited, f"the second transaction should wait for the first, got {outcome}"
    assert isinstance(outcome.get("result"), IntegrityError), outcome
    assert booking.is_overlap(outcome["result"])
    _assert_no_overlap(c.clinician_id, expected=1)
