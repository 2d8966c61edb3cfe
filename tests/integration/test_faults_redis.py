"""Redis down: booking, pages and same-process waiting-room events keep working; cross-process events resume
by themselves when Redis returns.

A private `redis-server` (its own free port, no persistence) is killed with SIGKILL and restarted under two
live web processes sharing it and one PostgreSQL database; the shared Redis on 6379 is never touched.
The patient is on server 1; the clinician is on server 2 (cross-process) or on server 1 (same process).

What the page shows: its "Reconnecting…" banner is about its own Socket.IO connection to the web process,
and a Redis outage does not drop that connection (asserted below). A connection dropped by a restart or the
network reconnects and checks in again, keeping its place: `test_waiting_room_line.py::
test_reconnecting_keeps_the_place_and_the_check_in_time` and the browser test
`test_video_visit.py::test_waiting_is_live_and_survives_a_dropped_connection` (docs/waiting-room.md,
"When Redis is down").
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests import factories as f
from tests.conftest import service_missing
from tests.support.live_server import LiveServer, Peer, free_port
from tests.support.waiting_world import live_server, world

NEXT_MONDAY = "2027-03-08"  # the clinic's next Monday: bookable through the API at any time of the test
OUTAGE = 10.0  # seconds Redis stays down: long enough for the listener's back-off (1, 2, 4, 8 s...) to grow
RECOVERY = 90.0  # python-socketio's listener retries with a back-off doubling up to 60 s
QUIET = 2.0  # how long an event that should not arrive is given to arrive anyway


class PrivateRedis:
    """`redis-server` on a free port, no persistence; SIGKILL and restart on the same port at will."""

    def __init__(self, binary: str):
        self.binary, self.port = binary, free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="televisit-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> PrivateRedis:
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.dir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen([*cmd, "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.dir / 'redis.log').read_text()[-2000:]}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not answer PING")

    def ping(self) -> bool:
        import redis

        with contextlib.suppress(Exception):
            client = redis.Redis.from_url(self.url, socket_connect_timeout=1, retry=None)
            try:
                return bool(client.ping())
            finally:
                client.close()
        return False

    def kill(self) -> None:
        """SIGKILL: no goodbye to the subscribers, as a crash or an OOM kill would do."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers (a hung server, a full disk, a VM paused)."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def destroy(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.thaw()
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_redis():
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server is not installed")
    r = PrivateRedis(binary).start()
    yield r
    r.destroy()


@pytest.fixture(scope="module")
def pair(private_redis):
    with live_server("postgresql", redis_url=private_redis.url, servers=2) as servers:
        yield servers


@pytest.fixture
def w(pair, private_redis):
    if not private_redis.ping():  # a failed test left it down
        private_redis.start()
    yield from world(pair[0])


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


def test_redis_killed_nothing_fails_and_cross_process_events_resume_when_it_returns(w, pair, private_redis):
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
    assert bob.call("check_in", {"appointment_id": b})["queue"]["position"] == 2
    marks = {ada: ada.mark(), bob: bob.mark()}
    assert near.call("running_late", {"minutes": 7}) == {"ok": True, "status": {"status": "running_late", "minutes": 7}}
    assert ada.wait("queue", _late(7), since=marks[ada])["position"] == 1  # same process: delivered
    assert far.call("send_message", {"appointment_id": b, "text": "A few more minutes."})["ok"] is True
    assert bob.wait("clinic_message", since=marks[bob])["text"] == "A few more minutes."  # same process
    assert far.call("admit", {"appointment_id": a})["ok"] is True  # 2 -> 1: committed, the emit is lost
    assert w.appointment(a)["status"] == "in_visit"
    time.sleep(QUIET)
    assert ada.got("admitted", since=marks[ada]) == []  # 2 -> 1: lost
    assert not [d for d in bob.got("clinician_status", since=marks[bob]) if d.get("minutes") == 7]  # 1 -> 2: lost
    moved = bob.wait("queue", lambda q: q["position"] == 1, since=marks[bob])  # from the admit, on bob's process:
    assert moved["late_minutes"] == 7  # every `queue` carries the whole state, so the next one catches up
    again = ada.call("check_in", {"appointment_id": a})  # what the page does after any reconnection
    assert again["ok"] is True and again["status"] == "in_visit"
    assert ada.wait("admitted", since=marks[ada])["appointment_id"] == a  # re-sent by its own process
    assert far.call("end_visit", {"appointment_id": a}) == {"ok": True, "appointment_id": a, "status": "completed"}
    assert w.appointment(a)["status"] == "completed"

    for log in logs:  # a failed publish is logged by python-socketio's RedisManager, never raised
        assert "Cannot publish to redis... giving up" in log.text()
        assert "Cannot receive from redis... retrying" in log.text()  # the listener keeps trying
        assert log.failures() == [], log.text()[-4000:]

    time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))
    private_redis.start()
    took = _late_reaches(near, bob, timeout=RECOVERY, minutes=11)  # 1 -> 2 again, without a restart
    print(f"Redis down {OUTAGE:.0f} s; cross-process events flowed again {took:.1f} s after it returned")
    assert _late_reaches(far, near, timeout=10, minutes=21) < 10  # and 2 -> 1
    assert len(ada.got("admitted", since=marks[ada])) == 1  # the lost one is not replayed (pub/sub keeps nothing)
    for log in logs:
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
    assert _late_reaches(near, far, timeout=RECOVERY, minutes=41) < RECOVERY  # and it all flows again
