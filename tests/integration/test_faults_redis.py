"""Redis down: booking, pages and same-process waiting-room events keep working; when Redis returns, cross-process
events flow again and every page is told `resync`, on which it fetches what it missed.

A private `redis-server` (tests/support/private_redis.py: its own free port, no persistence) is killed with SIGKILL
and restarted, or frozen with SIGSTOP, under two live web processes sharing it and one PostgreSQL database; the
shared Redis on 6379 is never touched. The patient is on server 1; the clinician is on server 2 (cross-process)
or on server 1 (same process). The servers log JSON, as in production, so their INFO lines (the resyncs) show.

What the page shows: its "Reconnecting…" banner is about its own Socket.IO connection to the web process,
and a Redis outage does not drop that connection (asserted below). What a page does on `resync` (check in
again, join the clinic again) is done here by hand, as a Peer runs no page script; the browser test
`tests/browser/test_waiting_room_resync.py` shows the real pages doing it. A connection dropped by a restart or
the network reconnects and checks in again, keeping its place: `test_waiting_room_line.py::
test_reconnecting_keeps_the_place_and_the_check_in_time` and the browser test
`test_video_visit.py::test_waiting_is_live_and_survives_a_dropped_connection` (docs/waiting-room.md,
"When Redis is down").
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from tests import factories as f
from tests.support.live_server import LiveServer, Peer
from tests.support.redis_fixtures import private_redis_fixture, world_fixture  # noqa: F401 (fixtures)
from tests.support.waiting_world import live_server

NEXT_MONDAY = "2027-03-08"  # the clinic's next Monday: bookable through the API at any time of the test
OUTAGE = 10.0  # seconds Redis stays down: long enough for the listener's back-off (1, 2, 2, ... s) to reach its cap
RESYNC_WITHIN = 8.0  # seconds from Redis answering again to every page hearing `resync` (RETRY_CAP is 2 s)
RECOVERY = 30.0  # seconds for events to flow again after a frozen Redis thaws
QUIET = 2.0  # how long an event that should not arrive is given to arrive anyway


@pytest.fixture(scope="module")
def pair(private_redis):
    json_logs = {"TELEVISIT_LOG_FORMAT": "json"}  # as in production: INFO lines too (the resyncs)
    with live_server("postgresql", redis_url=private_redis.url, servers=2, extra_env=json_logs) as servers:
        yield servers


class Log:
    """A live server's output from a point on (the log file grows; earlier lines are not looked at)."""

    def __init__(self, server: LiveServer):
        self.path, self.start = Path(server.log_path), Path(server.log_path).stat().st_size

    def text(self) -> str:
        return self.path.read_bytes()[self.start :].decode(errors="replace")

    def failures(self) -> list[str]:
        """Tracebacks, failed waiting-room events or emits, and requests answered 5xx (werkzeug's access log)."""
        bad = re.compile(r'Traceback|waiting-room (event|emit) failed|HTTP/1\.1[^"]*" 5\d\d ')
        return [line for line in self.text().splitlines() if bad.search(line)]


def _book_via_api(w, server: LiveServer, who: str, hhmm: str) -> requests.Response:
    body = {
        "visit_type_id": w.ids["visit_type"],
        "clinician_id": w.ids["doc"],
        "location_id": w.ids["location"],
        "mode": "virtual",
        "start": f"{NEXT_MONDAY}T{hhmm}:00-05:00",
        "patient_id": w.ids[who],
    }
    return server.api("POST", "/appointments", w.token("sched"), json=body)


def _late(minutes: int):
    """A `queue` (to a checked-in patient) or `clinician_status` (to the line and the clinic) saying `minutes` late."""
    return lambda d: d.get("late_minutes", d.get("minutes")) == minutes


def _late_reaches(sender: Peer, listener: Peer, *, timeout: float, minutes: int = 5) -> float:
    """Send `running_late` from `sender` until `listener` hears it; returns the seconds it took.

    The listener hears it as `queue` when it is a checked-in patient, else as `clinician_status`.
    """
    started = time.monotonic()
    event = "queue" if listener.got("queue") else "clinician_status"
    while True:
        mark = listener.mark()
        ack = sender.call("running_late", {"minutes": minutes})
        assert ack["ok"] is True, ack
        try:
            listener.wait(event, _late(minutes), since=mark, timeout=1)
            return time.monotonic() - started
        except AssertionError:
            if time.monotonic() - started > timeout:
                raise
        minutes = minutes % 240 + 1  # a new value each time: a late delivery of an earlier one cannot pass


def test_with_redis_up_events_cross_processes(w, pair):
    one, two = pair[0].server, pair[1].server
    a = w.book("ada", "09:10")
    ada = w.peer("ada", server=one)
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    clinic = w.peer("doc", server=two)
    assert clinic.call("join_clinic", {})["ok"] is True
    assert _late_reaches(clinic, ada, timeout=10) < 10
    assert clinic.call("admit", {"appointment_id": a})["ok"] is True
    assert ada.wait("admitted")["appointment_id"] == a


def test_redis_killed_nothing_fails_and_pages_resync_when_it_returns(w, pair, private_redis):
    one, two = pair[0].server, pair[1].server
    a, b = w.book("ada", "09:10"), w.book("bob", "09:20")
    ada, bob = w.peer("ada", server=one), w.peer("bob", server=two)  # the patients: one on each process
    near, far = w.peer("doc", server=one), w.peer("doc", server=two)  # the clinician's dashboard on each
    for clinic in (near, far):
        assert clinic.call("join_clinic", {})["ok"] is True
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    assert _late_reaches(far, ada, timeout=10) < 10  # Redis up: 2 -> 1 flows
    for who in ("sched", "bob"):
        w.token(who)  # signed in before the outage
    logs = [Log(one), Log(two)]

    private_redis.kill()
    down_at = time.monotonic()

    # Booking, the JSON API, sign-in and pages: none of them needs Redis.
    for i, server in enumerate((one, two)):
        r = _book_via_api(w, server, "cy", f"1{i}:00")
        assert r.status_code == 201, r.text
        got = server.api("GET", f"/appointments/{r.json()['id']}", w.token("sched"))
        assert got.status_code == 200 and got.json()["status"] == "booked"
        assert requests.get(f"{server.url}/", timeout=10).status_code == 200
        assert requests.get(f"{server.url}/waiting-room/{a}?join={w.join_token(a)}", timeout=10).status_code == 200
        assert server.token("dee@x.org", f.PASSWORD)  # sign-in throttling keeps its counters in Redis

    # The sockets stay connected (the page shows no banner); every handler acks and commits.
    assert all(p.sio.connected for p in (ada, bob, near, far))
    marks = {p: p.mark() for p in (ada, bob, near, far)}
    assert bob.call("check_in", {"appointment_id": b})["queue"]["position"] == 2  # 2 -> 1: near misses bob
    assert far.call("send_message", {"appointment_id": b, "text": "A few more minutes."})["ok"] is True
    assert bob.wait("clinic_message", since=marks[bob])["text"] == "A few more minutes."  # same process
    assert far.call("admit", {"appointment_id": a})["ok"] is True  # 2 -> 1: committed, the emit is lost
    assert w.appointment(a)["status"] == "in_visit"
    assert bob.wait("queue", lambda q: q["position"] == 1, since=marks[bob])["late_minutes"] != 7  # same process
    assert near.call("running_late", {"minutes": 7}) == {"ok": True, "status": {"status": "in_visit"}}
    time.sleep(QUIET)
    assert ada.got("admitted", since=marks[ada]) == []  # 2 -> 1: lost
    assert not [q for q in bob.got("queue", since=marks[bob]) if q["late_minutes"] == 7]  # 1 -> 2: lost
    assert not [d for d in near.got("waiting_list", since=marks[near]) if d["patients"]]  # 2 -> 1: lost
    assert all(p.got("resync") == [] for p in (ada, bob, near, far))  # Redis is still down

    for log in logs:  # a failed publish is logged by python-socketio's RedisManager, never raised
        assert "Cannot publish to redis... giving up" in log.text()
        assert "Cannot receive from redis... retrying" in log.text()  # the listener keeps trying
        assert log.failures() == [], log.text()[-4000:]

    time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))
    private_redis.start()
    back_at = time.monotonic()
    # Each process, subscribed again, tells its own sockets `resync` (the listener waits at most RETRY_CAP s).
    for p in (ada, bob, near, far):
        p.wait("resync", since=marks[p], timeout=RESYNC_WITHIN)
    took = time.monotonic() - back_at
    print(f"Redis down {OUTAGE:.0f} s; every page heard `resync` {took:.1f} s after it returned")
    assert took < RESYNC_WITHIN

    # What each page does on `resync`, done here by hand (a Peer is a python-socketio client: it runs no page
    # script): static/js/waiting_room.js checks in again, static/js/clinic.js joins its clinic again.
    again = ada.call("check_in", {"appointment_id": a})
    assert again["ok"] is True and again["status"] == "in_visit"  # admitted meanwhile: the page starts the visit
    assert ada.wait("admitted", since=marks[ada])["appointment_id"] == a  # re-sent by its own process
    queue = bob.call("check_in", {"appointment_id": b})["queue"]
    assert queue["position"] == 1 and queue["late_minutes"] == 7  # the lost lateness
    listing = near.call("join_clinic", {})["waiting_list"]
    assert listing["in_visit"]["appointment_id"] == a and [p["appointment_id"] for p in listing["patients"]] == [b]

    assert far.call("end_visit", {"appointment_id": a}) == {"ok": True, "appointment_id": a, "status": "completed"}
    assert _late_reaches(near, bob, timeout=10, minutes=11) < 10  # 1 -> 2 again, without a restart
    assert _late_reaches(far, near, timeout=10, minutes=21) < 10  # and 2 -> 1
    assert len(ada.got("admitted", since=marks[ada])) == 1  # the lost one is not replayed (pub/sub keeps nothing)
    for log in logs:
        assert "asked to resync" in log.text()  # logged at INFO, without patient data
        assert log.failures() == [], log.text()[-4000:]


def test_a_frozen_redis_holds_up_no_handler_and_no_sign_in(w, pair, private_redis):
    """A Redis that hangs is worse than one that is gone: without timeouts every emit and sign-in would hang."""
    one, two = pair[0].server, pair[1].server
    near, far = w.peer("doc", server=one), w.peer("doc", server=two)
    for clinic in (near, far):
        assert clinic.call("join_clinic", {})["ok"] is True
    assert _late_reaches(near, far, timeout=RECOVERY, minutes=31) < RECOVERY  # Redis up (maybe just restarted)
    private_redis.freeze()
    try:
        started = time.monotonic()
        ack = near.call("running_late", {"minutes": 9}, timeout=30)
        acked_in = time.monotonic() - started
        assert ack["ok"] is True and acked_in < 8, acked_in  # publish gives up after its timeout (twice)
        started = time.monotonic()
        assert one.token("dee@x.org", f.PASSWORD)  # the rate limiter's Redis gives up too, and falls back
        assert time.monotonic() - started < 8
        assert _book_via_api(w, two, "cy", "11:00").status_code == 201
    finally:
        private_redis.thaw()
    mark = far.mark()
    assert _late_reaches(near, far, timeout=RECOVERY, minutes=41) < RECOVERY  # and it all flows again
    # The listeners never noticed (a frozen Redis keeps their connections), but a publish gave up: the next one
    # that works is followed by `resync` to every page, through Redis.
    far.wait("resync", since=mark, timeout=10)
