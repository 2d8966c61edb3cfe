"""Many clients holding and booking the same proposed appointment at once, through a real server process
(tests/support/live_server.py) on SQLite and on PostgreSQL: exactly one wins, the rest get a 409
OperationOutcome, never a 5xx; the database is left with one holder of the time and its messages planned once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import func, select, text

from televisit.extensions import db
from televisit.models import Appointment, OutboxMessage, Patient
from tests import factories as f
from tests.conftest import _make_app
from tests.support.fhir_booking import parameters
from tests.support.fhir_world import FHIR_JSON, valid
from tests.support.live_server import LiveServer, fresh_database

pytestmark = pytest.mark.slow
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)
THREADS = 12
HOLDING = "('booked', 'checked_in', 'in_visit', 'completed', 'pending')"
OVERLAPS = text(
    "SELECT count(*) FROM reservations a JOIN reservations b ON a.id < b.id AND a.holding AND b.holding"
    " AND a.clinician_id = b.clinician_id AND a.block_start < b.block_end AND b.block_start < a.block_end"
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request):
    """A live server on a fresh database holding the test program and THREADS patients (Ohio)."""
    with fresh_database(request.param) as url:
        app = _make_app(url)
        with app.app_context():
            p = f.program()
            made = [
                Patient(
                    name=f"P{i}", email=f"p{i}@example.org", timezone="America/New_York", region="US-OH", created_at=NOW
                )
                for i in range(THREADS)
            ]
            db.session.add_all(made)
            db.session.commit()
            ids = {
                "doc": p.us_doc.id,
                "site": p.cleveland.id,
                "consult": p.consult.id,
                "patients": [x.id for x in made],
            }
            db.session.close()  # hold no transaction (SQLite's write lock) while the server works
            server = LiveServer(url, now=NOW).start(timeout=120)  # a loaded machine starts it slowly
            try:
                ids["desk"] = {"Authorization": f"Bearer {server.token('sched@example.org', f.PASSWORD)}"}
                yield server, app, ids
            finally:
                server.stop()
                db.session.remove()
                db.engine.dispose()


def _proposal(ids, hhmm: str, mode: str = "v", day: str = "20270308") -> str:
    hh, mm = (int(x) for x in hhmm.split(":"))
    return f"p.{ids['doc']}.{ids['site']}.{ids['consult']}.{mode}.{day}{hh + 5:02d}{mm:02d}"  # EST: UTC-5


def _race(server, headers, calls: list[tuple[str, dict]]) -> list[tuple[int, dict, str]]:
    """POST each (path, JSON body) from its own thread, all released together; (status, body, mimetype)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i: int, path: str, body: dict) -> None:
        try:
            with requests.Session() as http:
                http.get(f"{server.url}/healthz", timeout=30)  # open the connection before the race
                barrier.wait(timeout=30)
                r = http.post(f"{server.url}{path}", json=body, headers=headers, timeout=60)
                results[i] = (r.status_code, r.json(), r.headers.get("Content-Type", "").split(";")[0])
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    assert all(r is not None for r in results), "a client thread did not finish"
    return results


def _one_winner(results, win: int = 200) -> dict:
    statuses = Counter(code for code, _, _ in results)
    assert set(statuses) <= {win, 409} and statuses[win] == 1, (statuses, [b for c, b, _ in results if c >= 500])
    for code, body, mimetype in results:
        if mimetype == FHIR_JSON:
            valid(body)
        if code == 409:
            assert mimetype == FHIR_JSON and body["resourceType"] == "OperationOutcome", body
            assert body["issue"][0]["code"] == "conflict"
    return next(body for code, body, _ in results if code == win)


def _appointment_of(bundle: dict) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Appointment")


def _holders(app, start: str) -> list[tuple[int, str]]:
    """(id, status) of every appointment holding time at `start` on the test Monday, and no overlap anywhere."""
    with app.app_context():
        at = datetime.fromisoformat(f"2027-03-08T{start}:00-05:00")
        stmt = select(Appointment.id, Appointment.status).where(
            Appointment.start_at == at, Appointment.status.in_(("booked", "pending"))
        )
        found = [tuple(row) for row in db.session.execute(stmt)]
        assert db.session.execute(OVERLAPS).scalar_one() == 0
        db.session.remove()
        return found


def _for(ids, i: int, proposal: str) -> dict:
    patient = f"Patient/{ids['patients'][i]}"
    return parameters(("appointment-reference", f"Appointment/{proposal}"), ("patient-reference", patient))


def test_many_holds_of_one_proposal_one_wins(world):
    server, app, ids = world
    proposal = _proposal(ids, "09:00")
    results = _race(server, ids["desk"], [("/fhir/Appointment/$hold", _for(ids, i, proposal)) for i in range(THREADS)])
    held = _appointment_of(_one_winner(results))
    assert held["status"] == "pending"
    assert _holders(app, "09:00") == [(int(held["id"]), "pending")]


def test_holds_and_books_of_one_time_by_fhir_and_the_json_api_one_wins(world):
    server, app, ids = world
    video, in_person = _proposal(ids, "10:00"), _proposal(ids, "10:00", "p")
    api = {"visit_type_id": ids["consult"], "clinician_id": ids["doc"], "location_id": ids["site"], "mode": "in_person"}
    api |= {"start": "2027-03-08T10:00:00-05:00"}
    calls = []
    for i in range(THREADS):
        kind = i % 3
        if kind == 0:
            calls.append(("/fhir/Appointment/$hold", _for(ids, i, video)))
        elif kind == 1:
            calls.append(("/fhir/Appointment/$book", _for(ids, i, in_person)))
        else:
            calls.append(("/api/v1/appointments", api | {"patient_id": ids["patients"][i]}))
    results = _race(server, ids["desk"], calls)
    statuses = Counter(code for code, _, _ in results)
    assert set(statuses) <= {200, 201, 409} and statuses[200] + statuses[201] == 1, statuses
    for code, body, mimetype in results:
        if code == 409 and mimetype == FHIR_JSON:
            assert valid(body)["resourceType"] == "OperationOutcome"
        elif code == 409:
            assert body["error"]["reason"] == "taken"
    assert len(_holders(app, "10:00")) == 1


def test_many_bookings_of_one_hold_book_it_once_with_its_messages_once(world):
    server, app, ids = world
    r = requests.post(
        f"{server.url}/fhir/Appointment/$hold",
        json=_for(ids, 0, _proposal(ids, "11:00")),
        headers=ids["desk"],
        timeout=30,
    )
    assert r.status_code == 200, r.text
    held = _appointment_of(r.json())
    body = parameters(("appointment-reference", f"Appointment/{held['id']}"))
    results = _race(server, ids["desk"], [("/fhir/Appointment/$book", body)] * THREADS)
    booked = _appointment_of(_one_winner(results))
    assert booked["id"] == held["id"] and booked["status"] == "booked"
    assert _holders(app, "11:00") == [(int(held["id"]), "booked")]
    with app.app_context():
        rows = select(OutboxMessage.rule, OutboxMessage.channel, func.count()).where(
            OutboxMessage.appointment_id == int(held["id"])
        )
        planned = db.session.execute(rows.group_by(OutboxMessage.rule, OutboxMessage.channel)).all()
        db.session.remove()
    assert planned and all(count == 1 for _, _, count in planned)
    assert ("confirmation", "email", 1) in [tuple(row) for row in planned]
