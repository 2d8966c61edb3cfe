"""PostgreSQL restarted under load: requests in flight fail cleanly (503 JSON with Retry-After), nothing is
half-written, and the service resumes by itself.

A private PostgreSQL instance (initdb into a temp dir, its own port) is stopped and started under a live
server taking bookings from several threads; the shared server on 5432 is never touched.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from televisit.extensions import db
from tests import factories as f
from tests.conftest import NOW, _make_app, _migrate, service_missing
from tests.support.live_server import LiveServer
from tests.support.private_pg import PrivatePostgres, pg_bin

THREADS, WEEKS = 4, 30


@pytest.fixture
def private_pg():
    bin_dir = pg_bin()
    if bin_dir is None:
        service_missing("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    pg = PrivatePostgres(bin_dir).init().start()
    yield pg
    pg.destroy()


def _seed(url: str) -> dict:
    """The test program on the private database; returns the ids a booking needs."""
    app = _make_app(url)
    with app.app_context():
        p = f.program()
        ids = {
            "visit_type_id": p.consult.id,
            "patient_id": p.users["other"].patient_id,
            "sites": [(p.us_doc.id, p.cleveland.id, "-05:00"), (p.uk_doc.id, p.london.id, "+00:00")],
        }
        db.session.remove()
        db.engine.dispose()
    return ids


def _bodies(ids: dict) -> list[dict]:
    """Distinct in-person slots (Mondays 09:00-12:00 at both sites, weeks ahead): none can conflict."""
    out = []
    for week in range(1, WEEKS + 1):
        day = date(2027, 3, 1) + timedelta(weeks=week)
        for clinician_id, location_id, offset in ids["sites"]:
            if offset == "-05:00" and day >= date(2027, 3, 14):
                offset = "-04:00"  # Cleveland is on daylight time from 14 March
            if offset == "+00:00" and day >= date(2027, 3, 28):
                offset = "+01:00"  # London from 28 March
            for hour in (9, 10, 11):
                start = f"{day.isoformat()}T{hour:02d}:00:00{offset}"
                out.append(
                    {"visit_type_id": ids["visit_type_id"], "clinician_id": clinician_id, "location_id": location_id}
                    | {"mode": "in_person", "start": start, "patient_id": ids["patient_id"]}
                )
    return out


class Load:
    """Threads booking their share of the slots one after another, recording every answer."""

    def __init__(self, server: LiveServer, token: str, bodies: list[dict]):
        self.server, self.token, self.bodies = server, token, bodies
        self.results: list[tuple[dict, int, dict, dict]] = []
        self.lock = threading.Lock()

    def _work(self, mine: list[dict]) -> None:
        for body in mine:
            try:
                r = self.server.api("POST", "/appointments", self.token, json=body)
                answer = (body, r.status_code, r.json() if r.content else {}, dict(r.headers))
            except requests.RequestException as exc:  # the web process itself must never drop a request
                answer = (body, -1, {"exception": repr(exc)}, {})
            with self.lock:
                self.results.append(answer)
            time.sleep(0.01)

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._work, args=(self.bodies[i::THREADS],)) for i in range(THREADS)]
        for t in threads:
            t.start()
        return threads

    def done(self) -> int:
        with self.lock:
            return len(self.results)


def _stored(url: str) -> tuple[dict[int, datetime], set[int]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        appts = dict(conn.execute(text("SELECT id, start_at FROM appointments")).all())
        with_outbox = set(conn.execute(text("SELECT DISTINCT appointment_id FROM outbox_messages")).scalars())
    engine.dispose()
    return appts, with_outbox


def test_postgresql_restart_under_load_fails_cleanly_loses_nothing_and_recovers(private_pg):
    url = private_pg.create_database("televisit_faults")
    _migrate(url)
    ids = _seed(url)
    server = LiveServer(url, now=NOW).start()
    try:
        token = server.token("sched@example.org", f.PASSWORD)
        bodies = _bodies(ids)
        load = Load(server, token, bodies[:-1])
        threads = load.run()
        while load.done() < 20:
            time.sleep(0.05)
        private_pg.stop("fast")  # every connection in the pool dies; new ones are refused
        time.sleep(2)
        during_outage = server.api("GET", "/appointments", token)
        page = requests.get(f"{server.url}/calendar/no-such-feed.ics", timeout=10)  # a page that reads the database
        private_pg.start()
        private_pg.wait_ready()
        for t in threads:
            t.join(120)
        after = server.api("POST", "/appointments", token, json=bodies[-1])  # no restart of the web process
        output = server.output()
    finally:
        server.stop()

    statuses = [status for _, status, _, _ in load.results]
    assert set(statuses) <= {201, 409, 503}, (sorted(set(statuses)), output[-3000:])
    assert statuses.count(503) >= 1 and statuses.count(201) >= 20  # the outage was met, and work went on
    for _, status, payload, headers in load.results:
        if status == 503:
            assert payload["error"]["code"] == "unavailable" and int(headers["Retry-After"]) > 0
    assert during_outage.status_code == 503 and during_outage.headers["Retry-After"]
    assert during_outage.json()["error"]["code"] == "unavailable"
    assert page.status_code == 503 and page.headers["Retry-After"]  # the friendly page, not a 500
    assert "text/html" in page.headers["Content-Type"] and "Traceback" not in page.text
    assert after.status_code == 201, after.text

    appts, with_outbox = _stored(url)
    booked = [(payload["id"], body["start"]) for body, status, payload, _ in load.results if status == 201]
    booked.append((after.json()["id"], bodies[-1]["start"]))
    for appt_id, start in booked:  # every 201 is really there, at its time
        assert appts[appt_id] == datetime.fromisoformat(start)
    assert set(appts) <= with_outbox  # no appointment without its messages: one transaction, all or nothing
    assert "Traceback" not in output or "OperationalError" not in output.split("Traceback", 1)[1][:4000]
