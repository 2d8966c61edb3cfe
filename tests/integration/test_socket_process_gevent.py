"""The socket process as production runs it (`gunicorn -c config/gunicorn_socket.py`) really runs gevent, and what
runs inside it works there: two such processes on one PostgreSQL database and a private Redis (the message queue),
each with ONE pooled database connection, so every burst of socket events queues for it.

- the process says so: gunicorn's gevent worker, Flask-SocketIO's gevent mode, the stdlib patched (its log line
  and its `televisit_socketio_async_mode` gauge);
- patients checking in at once on one process all get in, in order, through a pool of one connection (greenlets
  wait for it: none errors), and the clinician on the other process hears each of them through Redis;
- Redis killed and started again: the listener subscribes again and every page hears `resync`, and events cross
  the processes again;
- the heartbeat beats (the presence table's row of each process moves on);
- SIGTERM with open sockets: the process ends within its graceful_timeout (10 s), its sockets are closed;
- a mismatch is refused: the socket config with another worker class, or gevent mode in a process gevent did
  not patch.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests.conftest import _make_app
from tests.support.gunicorn_server import Gunicorn
from tests.support.live_server import ROOT, SECRET, free_port, fresh_database
from tests.support.private_redis import PrivateRedis, redis_server
from tests.support.waiting_world import PATIENTS, SERVER_NOW, Live, world

pytestmark = pytest.mark.slow

QUIET = 2.0


@pytest.fixture(scope="module")
def private_redis():
    r = PrivateRedis(redis_server()).start()
    yield r
    r.destroy()


@pytest.fixture(scope="module")
def pair(private_redis):
    """Two gevent socket processes on one fresh PostgreSQL database and the private Redis; one pooled connection."""
    channel = f"televisit-test-{uuid.uuid4().hex}"
    env = {
        "TELEVISIT_REDIS_URL": private_redis.url,
        "TELEVISIT_SOCKETIO_CHANNEL": channel,
        "TELEVISIT_DB_POOL_SIZE": "1",
        "TELEVISIT_DB_POOL_OVERFLOW": "0",
        "TELEVISIT_WAITING_HEARTBEAT_SECONDS": "1",
        "TELEVISIT_LOG_FORMAT": "json",  # as in production: INFO lines too (the resyncs), with request ids
    }
    with fresh_database("postgresql") as url:
        servers = [Gunicorn(url, socket=True, extra_env=env, now=SERVER_NOW.isoformat()) for _ in range(2)]
        try:
            for s in servers:
                s.start()
            app = _make_app(url)
            app.config["SOCKETIO_CHANNEL"] = channel
            yield [Live(s, app) for s in servers]
        finally:
            for s in servers:
                s.stop()


@pytest.fixture
def w(pair, private_redis):
    if not private_redis.ping():
        private_redis.start()
    yield from world(pair[0])


def _modes(server: Gunicorn) -> dict[str, float]:
    body = requests.get(f"{server.url}/metrics", timeout=10).text
    return {
        s.labels["mode"]: s.value
        for fam in text_string_to_metric_families(body)
        for s in fam.samples
        if s.name == "televisit_socketio_async_mode"
    }


def _failures(server: Gunicorn) -> list[str]:
    bad = re.compile(r"Traceback|waiting-room (event|emit) failed|TimeoutError|QueuePool limit")
    return [line for line in server.output().splitlines() if bad.search(line)]


def test_the_socket_process_runs_gunicorns_gevent_worker_and_socketios_gevent_mode(pair):
    for live in pair:
        out = live.server.output()
        assert "Using worker: gevent" in out, out[-2000:]
        assert "Socket.IO async mode gevent, socket module patched by gevent: True" in out, out[-2000:]
        assert _modes(live.server) == {"gevent": 1.0}


def test_patients_checking_in_at_once_share_one_pooled_connection_and_cross_processes(w, pair):
    # three waiting for the clinician, two for another one (a 10-minute visit; the room opens 30 minutes before)
    slots = {"ada": ("09:10", "doc"), "bob": ("09:20", "doc"), "cy": ("09:30", "doc")}
    slots |= {"dee": ("09:10", "other_doc"), "eve": ("09:20", "other_doc")}
    appts = {who: w.book(who, hhmm, doc=clinician) for who, (hhmm, clinician) in slots.items()}
    mine = [appts[who] for who in ("ada", "bob", "cy")]
    doc = w.peer("doc", server=pair[1].server)  # the clinician on the other process: every event crosses Redis
    assert doc.call("join_clinic", {})["ok"] is True
    peers = {who: w.peer(who) for who in PATIENTS}
    start, answers = threading.Barrier(len(PATIENTS)), {}

    def check_in(who: str) -> None:
        start.wait()
        answers[who] = peers[who].call("check_in", {"appointment_id": appts[who]}, timeout=30)

    threads = [threading.Thread(target=check_in, args=(who,)) for who in PATIENTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    assert {who: a.get("ok") for who, a in answers.items()} == dict.fromkeys(PATIENTS, True), answers

    def places(who: tuple[str, ...]) -> list[int]:  # each patient's latest place (acks raced: `queue` tells later)
        return [([answers[p]["queue"]] + peers[p].got("queue"))[-1]["position"] for p in who]

    _eventually(lambda: places(("ada", "bob", "cy")) == [1, 2, 3])  # each one a place of their own, by time
    _eventually(lambda: places(("dee", "eve")) == [1, 2])
    listing = doc.wait("waiting_list", lambda d: len(d["patients"]) == len(mine), timeout=15)
    assert sorted(p["appointment_id"] for p in listing["patients"]) == sorted(mine)
    assert _failures(pair[0].server) == [] and _failures(pair[1].server) == []


def _beats(live: Live) -> dict[str, object]:
    with live.app.app_context():
        from televisit.extensions import db

        rows = db.session.execute(text("SELECT name, seen_at FROM web_processes")).all()
        db.session.remove()
    return dict(rows)


def _eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.2)
    return value


def test_each_process_beats_its_heartbeat(w, pair):
    w.peer("ada")  # a process's first socket starts its heartbeat
    w.peer("bob", server=pair[1].server)

    def both() -> dict | None:
        rows = _beats(pair[0])
        return rows if len(rows) >= 2 else None

    first = _eventually(both)
    assert len(first) == 2, first  # one row per socket process
    _eventually(lambda: all(_beats(pair[0])[name] > seen for name, seen in first.items()), timeout=6)  # 1 s beats


def test_redis_killed_and_back_every_page_resyncs_and_events_cross_again(w, pair, private_redis):
    a = w.book("ada", "09:10")
    ada = w.peer("ada")
    doc = w.peer("doc", server=pair[1].server)
    assert doc.call("join_clinic", {})["ok"] is True
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    mark = ada.mark()
    assert doc.call("running_late", {"minutes": 6})["ok"] is True
    assert ada.wait("queue", lambda q: q["late_minutes"] == 6, since=mark, timeout=10)

    private_redis.kill()
    marks = {p: p.mark() for p in (ada, doc)}
    assert doc.call("running_late", {"minutes": 7})["ok"] is True  # committed; the event is lost
    time.sleep(QUIET)
    assert not [q for q in ada.got("queue", since=marks[ada]) if q["late_minutes"] == 7]
    assert all(p.sio.connected for p in (ada, doc))
    for live in pair:
        assert "Cannot receive from redis... retrying" in live.server.output()
    time.sleep(4)  # the listener's back-off reaches its cap (RETRY_CAP)

    private_redis.start()
    for p in (ada, doc):
        p.wait("resync", since=marks[p], timeout=10)
    again = ada.call("check_in", {"appointment_id": a})
    assert again["ok"] is True and again["queue"]["late_minutes"] == 7  # what the page fetches on resync
    mark = ada.mark()
    deadline = time.monotonic() + 15
    while not ada.got("queue", since=mark):  # the publishing side may need one failed publish to notice
        assert time.monotonic() < deadline, "events do not cross the processes again"
        assert doc.call("running_late", {"minutes": 9})["ok"] is True
        time.sleep(0.5)
    for live in pair:
        assert "asked to resync" in live.server.output()


def test_sigterm_with_open_sockets_ends_the_process_within_its_graceful_timeout(w, pair):
    url = pair[0].server.env["TELEVISIT_DATABASE_URL"]
    server = Gunicorn(url, socket=True, now=SERVER_NOW.isoformat()).start()  # a third process, on the same data
    try:
        peers = [w.peer(who, server=server) for who in ("ada", "bob", "doc")]
        assert all(p.sio.connected for p in peers)
        workers = server.worker_pids()
        assert len(workers) == 1
        began = time.monotonic()
        server.proc.terminate()
        server.proc.wait(30)
        took = time.monotonic() - began
    finally:
        server.stop()
    # graceful_timeout 10 s: the master then kills the worker, whose open sockets close (the pages reconnect
    # elsewhere); an idle process ends at once
    assert took < 15, took
    assert server.proc.returncode == 0, server.output()[-2000:]
    assert "Shutting down: Master" in server.output()
    _eventually(lambda: not any(p.sio.connected for p in peers), timeout=10)
    _eventually(lambda: not [pid for pid in workers if _running(pid)], timeout=5)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def _gunicorn(*args: str, env: dict) -> subprocess.CompletedProcess:
    gunicorn = str(os.path.join(os.path.dirname(sys.executable), "gunicorn"))
    cmd = [gunicorn, *args, "-b", f"127.0.0.1:{free_port()}", "--no-control-socket"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "PROMETHEUS_"))}
    return env | {"TELEVISIT_SECRET_KEY": SECRET, "TELEVISIT_DATABASE_URL": "sqlite:///:memory:"} | extra


def test_the_socket_config_refuses_another_worker_class():
    done = _gunicorn("-c", "config/gunicorn_socket.py", "-k", "gthread", env=_env())
    assert done.returncode != 0
    assert "a socket process runs gunicorn's gevent worker, not 'gthread'" in done.stdout + done.stderr


def test_gevent_mode_in_a_process_gevent_did_not_patch_is_refused():
    done = _gunicorn("-c", "config/gunicorn.py", "-k", "sync", "wsgi:app", env=_env(TELEVISIT_SOCKETIO_ASYNC="gevent"))
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-2000:]
    assert "TELEVISIT_SOCKETIO_ASYNC=gevent needs gevent's monkey-patching" in out, out[-2000:]


def test_a_gevent_worker_without_gevent_mode_is_refused():
    done = _gunicorn("-c", "config/gunicorn.py", "-k", "gevent", "wsgi:app", env=_env())
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-2000:]
    assert "this process is monkey-patched by gevent but TELEVISIT_SOCKETIO_ASYNC is 'threading'" in out, out[-2000:]
