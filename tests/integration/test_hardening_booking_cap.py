"""Issue 12, item 12: a patient booking for themself holds at most TELEVISIT_PATIENT_MAX_UPCOMING (6) upcoming
visits they booked themself; one more is 409 `booking_limit` (API) or a plain message (find care). Staff
bookings don't count and staff are never capped; the cap holds when the patient's requests race.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from config import DevConfig
from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment
from tests import factories as f
from tests.support.patient_world import LONDON, build, hidden_fields, html

API = "/api/v1"
PATIENT, SCHEDULER = "pat@example.org", "sched@example.org"
FIRST = datetime.fromisoformat("2027-03-02T09:00:00-05:00")  # Tuesday, Cleveland


def _clinic():
    """A 15-minute in-person visit, 08:00-18:00 every day at Cleveland; one patient, one scheduler."""
    loc = f.location()
    check = f.visit_type("Check 15", minutes=15, modes=("in_person",))
    rules = [(loc, wd, 8 * 60, 18 * 60, ("in_person",)) for wd in range(7)]
    doc = f.clinician("Dr. Many", visit_types=[check], rules=rules)
    patient = f.user(PATIENT, "patient")
    f.user(SCHEDULER, "scheduler")
    body = {"visit_type_id": check.id, "clinician_id": doc.id, "location_id": loc.id, "mode": "in_person"}
    return body, patient.patient_id


def _at(n: int) -> str:
    """The n-th free time: one a day, so no two collide."""
    return (FIRST + timedelta(days=n)).isoformat()


def _book(client, body, headers, n: int, **extra):
    return client.post(f"{API}/appointments", json={**body, "start": _at(n), **extra}, headers=headers)


def _held(patient_id: int) -> int:
    db.session.rollback()
    stmt = select(func.count()).where(Appointment.patient_id == patient_id, Appointment.status == "booked")
    return db.session.scalar(stmt)


def test_a_patient_books_six_for_themself_and_the_seventh_is_refused(client):
    body, patient = _clinic()
    mine = f.token(client, PATIENT)
    for n in range(6):
        assert _book(client, body, mine, n).status_code == 201
    r = _book(client, body, mine, 6)
    assert r.status_code == 409 and r.json["error"]["code"] == "booking_limit", r.json
    assert "6 upcoming visits" in r.json["error"]["message"]
    assert _held(patient) == 6  # nothing written
    staff = f.token(client, SCHEDULER)  # staff are never capped
    for n in range(6, 9):
        assert _book(client, body, staff, n, patient_id=patient).status_code == 201
    assert _held(patient) == 9


def test_staff_bookings_do_not_count_and_a_cancelled_or_past_visit_frees_a_place(client):
    body, patient = _clinic()
    staff, mine = f.token(client, SCHEDULER), f.token(client, PATIENT)
    for n in range(3):
        assert _book(client, body, staff, n, patient_id=patient).status_code == 201
    own = [_book(client, body, mine, n).json["id"] for n in range(3, 9)]
    assert _book(client, body, mine, 9).json["error"]["code"] == "booking_limit"
    assert client.post(f"{API}/appointments/{own[-1]}/cancel", json={}, headers=mine).status_code == 200
    assert _book(client, body, mine, 9).status_code == 201  # the cancelled one no longer counts
    assert _book(client, body, mine, 10).json["error"]["code"] == "booking_limit"
    clock.freeze(datetime.fromisoformat(_at(3)) + timedelta(hours=1))  # the first own visit is over
    mine = f.token(client, PATIENT)  # (the old token has expired meanwhile)
    assert _book(client, body, mine, 11).status_code == 201
    assert _book(client, body, mine, 12).json["error"]["code"] == "booking_limit"


def test_the_cap_is_configurable(app, client, monkeypatch):
    monkeypatch.delenv("TELEVISIT_PATIENT_MAX_UPCOMING", raising=False)
    assert DevConfig().PATIENT_MAX_UPCOMING == 6
    monkeypatch.setenv("TELEVISIT_PATIENT_MAX_UPCOMING", "2")
    app.config["PATIENT_MAX_UPCOMING"] = DevConfig().PATIENT_MAX_UPCOMING
    body, _ = _clinic()
    mine = f.token(client, PATIENT)
    assert [_book(client, body, mine, n).status_code for n in range(3)] == [201, 201, 409]


def test_the_find_care_page_says_so_in_plain_words(app, client):
    app.config["PATIENT_MAX_UPCOMING"] = 1
    w = build(client)
    w.sign_in(LONDON)
    w.intake()
    query = {"need": "second-opinion", "mode": "virtual", "region": "GB", "site": w.ids["Cleveland"]}
    pick = {"clinician": w.ids["okafor"], "location": w.ids["Cleveland"]}

    def confirm_form(start: str) -> dict:
        return hidden_fields(html(client.get("/find-care/confirm", query_string={**query, **pick, "start": start})))

    assert client.post("/find-care/book", data=confirm_form("2027-03-03T13:00:00+00:00")).status_code == 302
    page = html(client.post("/find-care/book", data=confirm_form("2027-03-03T14:00:00+00:00")), 409)
    assert "You already have 1 upcoming visits that you booked yourself" in page
    assert "cancel one you no longer need" in page
    assert _held(w.ids["lou"]) == 1


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture
def live(app, frozen_now):
    """A real threaded HTTP server serving `app` (requests in parallel, each in its own transaction)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_racing_self_bookings_cannot_pass_the_cap_together(app, live):
    app.config["PATIENT_MAX_UPCOMING"] = 3
    body, patient = _clinic()
    db.session.close()  # hold no transaction (on SQLite: no write lock) while the clients race
    r = requests.post(f"{live}{API}/auth/token", json={"email": PATIENT, "password": f.PASSWORD}, timeout=30)
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    barrier, results = threading.Barrier(8), []

    def worker(n: int) -> None:
        with requests.Session() as http:
            http.get(f"{live}{API}/locations", timeout=30)  # connect before the race
            barrier.wait(timeout=30)
            r = http.post(f"{live}{API}/appointments", json={**body, "start": _at(n)}, headers=headers, timeout=60)
            results.append((r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else None))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert Counter(results) == Counter({(201, None): 3, (409, "booking_limit"): 5}), results
    assert _held(patient) == 3
