"""High availability of the jobs (issue 17, "Run"): real `flask --app wsgi jobs run` processes on one database, a
SQLite file and PostgreSQL. Exactly one runs the jobs (its heartbeat row, its log), the other waits as a standby and
says who holds the lock; /readyz and /metrics report it; `jobs run-once` is refused meanwhile; kill -9 of the active
one lets the standby take over within seconds; SIGTERM stops an active and a standby process cleanly; a process
whose lock is taken from it (its session killed, its lock file removed) exits 3 at once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _make_app
from tests.integration.test_dispatch_support import wait_until
from tests.integration.test_operations_metrics import scrape, value
from tests.support.live_server import ROOT, fresh_database

HOST = socket.gethostname()[:40]
TAKEOVER_LIMIT = 60.0  # the "within a minute"; with a 1 s poll it takes about a second


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_"))}
    return env | {
        "TELEVISIT_DATABASE_URL": url,
        "TELEVISIT_SECRET_KEY": "standby-test-secret-" + "x" * 20,
        "TELEVISIT_JOBS_LOCK_POLL_SECONDS": "1",
        "TELEVISIT_WAITING_HEARTBEAT_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }


class JobsRun:
    """`flask --app wsgi jobs run` as a subprocess, its output in a file."""

    def __init__(self, url: str):
        fd, self.log_path = tempfile.mkstemp(prefix="televisit-jobs-", suffix=".log")
        os.close(fd)
        with open(self.log_path, "ab") as log:
            args = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"]
            self.proc = subprocess.Popen(args, cwd=ROOT, env=_env(url), stdout=log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.name, self.standby_name = f"jobs@{HOST}:{self.pid}", f"jobs-standby@{HOST}:{self.pid}"

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)


@contextlib.contextmanager
def _database(kind: str):
    with fresh_database(kind) as url:
        engine = create_engine(url)
        procs: list[JobsRun] = []
        try:
            yield url, engine, procs
        finally:
            for p in procs:
                p.stop()
            engine.dispose()


def _names(engine, wall_window: float = 4.0) -> set[str]:
    """The jobs processes that beat within the last few seconds."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, seen_at FROM web_processes WHERE name LIKE 'jobs%'")).all()
    now = time.time()
    return {name for name, seen in rows if now - _epoch(seen) < wall_window}


def _epoch(seen) -> float:
    from datetime import datetime, timezone

    if isinstance(seen, str):  # SQLite keeps UTC text
        seen = datetime.fromisoformat(seen).replace(tzinfo=timezone.utc)
    return seen.timestamp()


def _start_pair(url: str, engine, procs: list) -> tuple[JobsRun, JobsRun]:
    """Two processes at once; (active, standby) once each has said so in the database."""
    procs += [JobsRun(url), JobsRun(url)]
    a, b = procs[-2:]

    def settled() -> bool:
        names = _names(engine)
        return {a.name, b.standby_name} <= names or {b.name, a.standby_name} <= names

    assert wait_until(settled, 90, every=0.2), (_names(engine), a.log()[-3000:], b.log()[-3000:])
    return (a, b) if a.name in _names(engine) else (b, a)


def _one_active(engine, active: JobsRun, standby: JobsRun) -> None:
    names = _names(engine)
    assert active.name in names and standby.name not in names and active.standby_name not in names
    assert "jobs process started" in active.log() and "jobs process started" not in standby.log()
    assert f"standby: the jobs lock is held by {active.name}" in standby.log()


def _reported(url: str, standby: JobsRun) -> None:
    """/readyz says the jobs are fine, /metrics counts one standby."""
    app = _make_app(url)
    try:
        with app.app_context():
            client = app.test_client()
            assert client.get("/readyz").json["jobs"] == "ok"
            assert value(scrape(client), "televisit_jobs_standby_processes") == 1
    finally:
        with app.app_context():
            from televisit.extensions import db

            db.engine.dispose()


def _run_once_refused(url: str, active: JobsRun) -> None:
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-once", "--wait", "1"]
    done = subprocess.run(cmd, cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f"the jobs lock is held by {active.name}" in done.stderr and "heartbeat:" not in done.stdout


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_one_jobs_process_runs_the_other_waits_and_takes_over_after_kill_9(kind):
    with _database(kind) as (url, engine, procs):
        active, standby = _start_pair(url, engine, procs)
        _one_active(engine, active, standby)
        _reported(url, standby)
        _run_once_refused(url, active)

        os.kill(active.pid, signal.SIGKILL)
        killed = time.monotonic()
        assert wait_until(lambda: standby.log().count("jobs process started") == 1, TAKEOVER_LIMIT, every=0.05)
        took = time.monotonic() - killed
        assert took < TAKEOVER_LIMIT
        assert active.proc.wait(5) == -signal.SIGKILL
        assert wait_until(lambda: standby.name in _names(engine), 10, every=0.1), standby.log()[-3000:]
        assert wait_until(lambda: standby.standby_name not in _names(engine, 60), 10, every=0.1)
        print(f"\n{kind}: the standby took over {took:.2f} s after kill -9 (poll 1 s)")

        third = JobsRun(url)  # a new standby, then SIGTERM to both: each stops cleanly
        procs.append(third)
        assert wait_until(lambda: third.standby_name in _names(engine), 60, every=0.2), third.log()[-3000:]
        third.signal(signal.SIGTERM)
        assert third.proc.wait(15) == 0, third.log()[-3000:]
        assert third.standby_name not in _names(engine, 60)  # it took its row with it
        standby.signal(signal.SIGTERM)
        assert standby.proc.wait(20) == 0, standby.log()[-3000:]
        assert "Traceback" not in standby.log() + third.log()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_sigterm_to_the_active_hands_over_and_a_lost_lock_stops_a_process_at_once(kind):
    with _database(kind) as (url, engine, procs):
        active, standby = _start_pair(url, engine, procs)
        active.signal(signal.SIGTERM)
        assert active.proc.wait(20) == 0, active.log()[-3000:]
        assert wait_until(lambda: "jobs process started" in standby.log(), 30, every=0.1), standby.log()[-3000:]

        _take_the_lock_from(kind, url, standby)  # the standby is the active one now
        assert standby.proc.wait(30) == 3, standby.log()[-3000:]
        assert "jobs lock lost" in standby.log()


def _take_the_lock_from(kind: str, url: str, proc: JobsRun) -> None:
    """What a lost database connection (PostgreSQL) or a removed lock file (SQLite) does to the active process."""
    if kind == "sqlite":
        os.unlink(url.removeprefix("sqlite:///") + ".jobs-lock")
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"
        assert list(conn.execute(text(sql), {"name": proc.name}).scalars()) == [True]
    engine.dispose()


def test_readyz_names_a_standby_when_no_active_process_beats(app, client):
    from televisit import clock
    from televisit.extensions import db
    from televisit.services.waiting_room.processes import beat

    beat(db.session, "jobs-standby@h:7", wall_now=clock.wall_now())
    db.session.commit()
    assert client.get("/readyz").json["jobs"] == (
        "silent: no heartbeat from a jobs process yet; standby waiting for the jobs lock: jobs-standby@h:7"
    )
    assert value(scrape(client), "televisit_jobs_standby_processes") == 1
    beat(db.session, "jobs@h:8", wall_now=clock.wall_now())
    db.session.commit()
    assert client.get("/readyz").json["jobs"] == "ok"
