"""Shared fixtures: an app per test on SQLite and on PostgreSQL, a frozen clock, API helpers.

PostgreSQL tests skip with a reason when the server is not reachable; with
TELEVISIT_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails instead.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig
from televisit import clock, create_app
from televisit.extensions import db

REQUIRE_SERVICES = os.environ.get("TELEVISIT_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("TELEVISIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TELEVISIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)  # a Monday


def service_missing(reason: str):
    """Skip (developer machine) or fail (CI) when a required service is absent."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


def _pg_reachable() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


def _migrate(url: str) -> None:
    import flask_migrate

    app = _make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _make_app(url: str):
    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    cfg.PUBLIC_URL = "http://televisit.test"
    if url.startswith("postgresql"):
        cfg.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 40, "max_overflow": 20}
    return create_app(cfg)


@pytest.fixture(scope="session")
def sqlite_url():
    folder = Path(tempfile.mkdtemp(prefix="televisit-test-"))
    url = f"sqlite:///{folder / 'test.db'}"
    _migrate(url)
    return url


@pytest.fixture(scope="session")
def pg_url():
    problem = _pg_reachable()
    if problem:
        service_missing(problem)
    name = f"televisit_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    """Each integration test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_url")


def _wipe() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def app(db_url):
    application = _make_app(db_url)
    with application.app_context():
        _wipe()
        yield application
        db.session.remove()
        _wipe()
        db.engine.dispose()


@pytest.fixture
def frozen_now():
    """The app clock frozen at NOW (Monday 2027-03-01 12:00 UTC); tests may move it."""
    clock.freeze(NOW)
    yield NOW
    clock.reset()


@pytest.fixture
def client(app, frozen_now):
    return app.test_client()
