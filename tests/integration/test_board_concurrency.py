"""The board's capacity under concurrent listing, through a live HTTP server on SQLite and PostgreSQL: many
schedulers listing (or moving cases into) the last place of a session at once. Exactly one wins, the rest get
409 board_full, and the database holds no session with more cases than places (the counter and the cases
agree)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timezone

import pytest
import requests
from sqlalchemy import text

from televisit.extensions import db
from televisit.models import Patient
from tests import factories as f
from tests.integration.test_concurrency import live  # noqa: F401  (the live server fixture)
from tests.support.board_world import NEXT_TUESDAYS

pytestmark = pytest.mark.slow
RACERS = 12
NOW = datetime(2027, 3, 1, tzinfo=timezone.utc)
PER_SESSION = text(
    "SELECT c.day, count(*), max(s.taken) FROM board_cases c JOIN board_seats s"
    " ON s.board_id = c.board_id AND s.day = c.day WHERE c.status IN ('listed', 'reviewed') GROUP BY c.day"
)


def _token(base: str, email: str) -> dict:
    r = requests.post(f"{base}/api/v1/auth/token", json={"email": email, "password": f.PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _world(base: str, capacity: int) -> tuple[int, int, list[int], dict]:
    """A Cleveland board (Tuesdays 07:30), a presenter, RACERS patients, a scheduler's headers."""
    site = f.location()
    doc = f.clinician("Dr. Board", visit_types=[], rules=[])
    f.user("sched@example.org", "scheduler")
    f.user("admin@example.org", "admin")
    people = [Patient(name=f"P{i}", timezone="America/New_York", created_at=NOW) for i in range(RACERS)]
    db.session.add_all(people)
    db.session.commit()
    ids, site_id, doc_id = [p.id for p in people], site.id, doc.id
    db.session.close()  # hold no transaction (on SQLite: no write lock) while the server writes
    body = {"name": "Board", "location_id": site_id, "weekday": 1, "start": "07:30", "duration_minutes": 90}
    body |= {"capacity": capacity, "member_ids": [doc_id]}
    r = requests.post(f"{base}/api/v1/boards", json=body, headers=_token(base, "admin@example.org"), timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"], doc_id, ids, _token(base, "sched@example.org")


def _fire(base: str, headers: dict, calls: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    """POST every (path, body) from its own thread, all released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i: int, path: str, body: dict) -> None:
        try:
            with requests.Session() as http:
                http.get(f"{base}/api/v1/locations", timeout=30)  # open the connection before the race
                barrier.wait(timeout=30)
                r = http.post(f"{base}/api/v1{path}", json=body, headers=headers, timeout=60)
                results[i] = (r.status_code, r.json())
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
    return results


def _list(base, headers, board_id, doc_id, patient_id, **extra):
    body = {"patient_id": patient_id, "question": "Which first?", "presenter_id": doc_id, **extra}
    r = requests.post(f"{base}/api/v1/boards/{board_id}/cases", json=body, headers=headers, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def _sessions_agree(capacity: int) -> dict:
    db.session.rollback()
    rows = db.session.execute(PER_SESSION).all()
    for day, count, taken in rows:
        assert count == taken <= capacity, (day, count, taken)
    return {str(day): count for day, count, _ in rows}


def _one_winner(results) -> None:
    statuses = Counter(code for code, _ in results)
    codes = {code for code, _ in results}
    assert codes <= {200, 201, 409}, statuses
    assert statuses[200] + statuses[201] == 1, statuses
    assert all(body["error"]["code"] == "board_full" for code, body in results if code == 409), results


def test_many_schedulers_listing_the_last_place_at_once_one_wins(live):  # noqa: F811
    board_id, doc_id, patients, headers = _world(live, capacity=3)
    day = NEXT_TUESDAYS[0]
    for pid in patients[:2]:
        _list(live, headers, board_id, doc_id, pid, date=day)
    calls = [(f"/boards/{board_id}/cases", {"patient_id": pid, "question": "q", "presenter_id": doc_id, "date": day})
             for pid in patients[2:]]  # fmt: skip
    _one_winner(_fire(live, headers, calls))
    assert _sessions_agree(3)[day] == 3


def test_many_listings_into_the_earliest_session_with_room_fill_each_session_exactly(live):  # noqa: F811
    board_id, doc_id, patients, headers = _world(live, capacity=2)
    calls = [(f"/boards/{board_id}/cases", {"patient_id": pid, "question": "q", "presenter_id": doc_id})
             for pid in patients]  # fmt: skip
    results = _fire(live, headers, calls)
    assert {code for code, _ in results} == {201}, results
    per_day = _sessions_agree(2)
    assert sorted(per_day.values()) == [2] * (RACERS // 2)
    first = date(2027, 3, 2)  # the suite's clock is Monday 2027-03-01 12:00 UTC: the next morning is the first
    assert sorted(per_day) == [str(date.fromordinal(first.toordinal() + 7 * i)) for i in range(RACERS // 2)]


def test_many_cases_moved_into_the_last_place_at_once_one_wins(live):  # noqa: F811
    board_id, doc_id, patients, headers = _world(live, capacity=RACERS)
    target = NEXT_TUESDAYS[1]
    moving = [_list(live, headers, board_id, doc_id, pid, date=NEXT_TUESDAYS[0])["id"] for pid in patients[:8]]
    for pid in patients[8:]:
        _list(live, headers, board_id, doc_id, pid, date=target)
    _ = [_list(live, headers, board_id, doc_id, patients[0], date=target) for _ in range(RACERS - 5)]
    calls = [(f"/board-cases/{case_id}/move", {"date": target}) for case_id in moving]
    _one_winner(_fire(live, headers, calls))
    per_day = _sessions_agree(RACERS)
    assert (per_day[target], per_day[NEXT_TUESDAYS[0]]) == (RACERS, 7)
