"""GET /healthz and GET /readyz (API.md "Operations", issue 17 "Observe"): a load balancer takes a web process out
only when it cannot serve (database unreachable, schema behind the code); a silent jobs process or a Redis outage
is reported and nothing more. On SQLite and PostgreSQL; the dead database is a real PostgreSQL server stopped
under a real gunicorn, and one that accepts connections but never answers.
"""

from __future__ import annotations

import contextlib
import socket
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import text, update

from televisit import clock
from televisit.extensions import db
from televisit.models import WebProcess
from tests.conftest import REDIS_URL, _migrate, service_missing
from tests.support.gunicorn_server import Gunicorn
from tests.support.live_server import free_port
from tests.support.private_pg import PrivatePostgres, pg_bin

FIELDS = ["database", "redis", "migrations", "jobs"]


def _head() -> str:
    """The code's one Alembic head (whatever the newest migration is)."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    (head,) = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations")).get_heads()
    return head


def _ready(client):
    r = client.get("/readyz")
    assert list(r.json) == FIELDS, r.json
    return r


def test_ready_answers_each_part_and_a_missing_jobs_heartbeat_is_not_fatal(client):
    r = _ready(client)
    assert r.status_code == 200
    assert r.json["database"] == "ok" and r.json["migrations"] == "ok"
    assert r.json["redis"] == "not configured"
    assert r.json["jobs"].startswith("silent"), r.json  # no jobs process in this test: said, not a 503
    assert r.headers["Cache-Control"] == "no-store"


def test_the_jobs_process_heartbeat_makes_jobs_ok_and_its_silence_is_reported(app, client):
    from jobs.runner import run_once

    db.session.commit()
    results = dict(run_once(app))  # `flask jobs run-once`: its heartbeat job beats
    assert "heartbeat" in results
    assert _ready(client).json["jobs"] == "ok"
    long_ago = clock.wall_now() - timedelta(minutes=5)
    db.session.execute(update(WebProcess).where(WebProcess.name.startswith("jobs@")).values(seen_at=long_ago))
    db.session.commit()
    r = _ready(client)
    assert r.status_code == 200
    assert r.json["jobs"] == f"silent since {long_ago:%Y-%m-%dT%H:%M:%SZ}"


def test_a_web_process_heartbeat_is_not_taken_for_the_jobs(client):
    wall = clock.wall_now()
    db.session.add(WebProcess(name="web-host:123:abc", started_at=wall, seen_at=wall))
    db.session.commit()
    assert _ready(client).json["jobs"].startswith("silent")


@contextlib.contextmanager
def _schema_at(revisions: list[str]):
    """The database claims `revisions` for a while (the real rows are put back afterwards)."""
    before = list(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    db.session.execute(text("DELETE FROM alembic_version"))
    for rev in revisions:
        db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": rev})
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.execute(text("DELETE FROM alembic_version"))
        for rev in before:
            db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": rev})
        db.session.commit()


def test_a_schema_behind_the_code_takes_the_process_out(client):
    with _schema_at(["0008_messaging"]):
        r = _ready(client)
        assert r.status_code == 503
        assert r.json["database"] == "ok"
        assert r.json["migrations"].startswith(f"behind: database at 0008_messaging, code at {_head()}"), r.json
    assert _ready(client).status_code == 200


def test_a_database_never_migrated_is_not_ready(client):
    with _schema_at([]):
        r = _ready(client)
        assert r.status_code == 503
        said = f"behind: database at nothing, code at {_head()}; run `flask --app wsgi db upgrade`"
        assert r.json["migrations"] == said


def test_a_schema_migrated_by_a_newer_release_still_serves(client):
    with _schema_at(["0099_future"]):
        r = _ready(client)
        assert r.status_code == 200
        assert r.json["migrations"].startswith("ahead: database at 0099_future"), r.json


def test_redis_down_is_reported_and_the_process_stays_in(app, client):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    started = time.monotonic()
    r = _ready(client)
    assert time.monotonic() - started < 3
    assert r.status_code == 200
    assert r.json["redis"] == "unreachable (ConnectionError)"


def test_a_live_redis_is_ok(app, client):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    app.config["REDIS_URL"] = REDIS_URL
    assert _ready(client).json["redis"] == "ok"


# --- a dead database, through the production server ---------------------------------------------------------------


@pytest.fixture
def private_pg():
    bin_dir = pg_bin()
    if bin_dir is None:
        service_missing("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    pg = PrivatePostgres(bin_dir).init().start()
    yield pg
    pg.destroy()


def _timed(url: str) -> tuple[float, requests.Response]:
    started = time.monotonic()
    r = requests.get(url, timeout=30)
    return time.monotonic() - started, r


def test_a_stopped_database_makes_readyz_503_within_seconds_while_healthz_answers(private_pg):
    url = private_pg.create_database("ops")
    _migrate(url)
    with Gunicorn(url, worker_class="gthread", threads=4) as server:
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
        private_pg.stop()
        took, r = _timed(f"{server.url}/readyz")
        assert r.status_code == 503 and took < 4, (took, r.text)
        assert r.json()["database"].startswith("unreachable ("), r.json()
        assert r.json()["migrations"] == r.json()["jobs"] == "unknown: the database is unreachable"
        took, r = _timed(f"{server.url}/healthz")
        assert (r.status_code, r.json(), took < 1) == (200, {"ok": True}, True)
        private_pg.start()
        private_pg.wait_ready()
        assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200  # back by itself


@pytest.fixture
def silent_database():
    """A TCP port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{listener.getsockname()[1]}/silent"


def test_a_database_that_never_answers_makes_readyz_503_within_the_timeout(silent_database):
    with Gunicorn(silent_database, worker_class="gthread", threads=4) as server:
        took, r = _timed(f"{server.url}/readyz")
        assert r.status_code == 503 and took < 5, (took, r.text)
        assert r.json()["database"].startswith("unreachable ("), r.json()
        took, r = _timed(f"{server.url}/healthz")
        assert r.status_code == 200 and took < 1
