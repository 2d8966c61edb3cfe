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


def pytest_configure(config):
    """Cheap password hashing in tests (production uses scrypt; test_api_auth checks the real default)."""
    from televisit.services import auth

    auth.HASH_METHOD = "pbkdf2:sha256:1000"


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
        cfg.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 40, "max_overflow": 20}
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
    keep = ("append_only", "singleton")
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if not any(t.info.get(k) for k in keep)]
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


# --- messaging: a real server for webhooks, a fake Twilio and a real SMTP server --------------------------


class Messaging:
    """An app wired to the fake Twilio and local SMTP server, served on a real port (for status callbacks)."""

    def __init__(self, app, server, twilio, smtp):
        self.app, self.server, self.twilio, self.smtp = app, server, twilio, smtp
        self.url = f"http://127.0.0.1:{server.server_port}"
        self.client = app.test_client()

    def run_jobs(self) -> dict:
        """`jobs run-once` in-process: reconcile, offers, dispatch.

        The test's own session is committed first: on SQLite every transaction holds the write lock
        (BEGIN IMMEDIATE), so an idle transaction left open by test code would block the jobs.
        """
        from jobs.runner import run_once

        self.settle()
        return dict(run_once(self.app))

    @staticmethod
    def settle() -> None:
        """End the test session's transaction (call before waiting on other threads that write)."""
        db.session.commit()


@pytest.fixture
def fake_twilio():
    from tests.support.fake_twilio import FakeTwilio

    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def smtp():
    from tests.support.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def messaging(db_url, fake_twilio, smtp, frozen_now):
    """App + live HTTP server with TWILIO_* pointing at the fake and SMTP_* at the local server."""
    import threading

    from werkzeug.serving import make_server

    application = _make_app(db_url)
    application.config.update(
        TWILIO_ACCOUNT_SID="ACtest",
        TWILIO_AUTH_TOKEN=fake_twilio.auth_token,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake_twilio.url,
        TWILIO_TIMEOUT_SECONDS=2.0,
        TWILIO_RATE_PER_SECOND=0,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
    )
    server = make_server("127.0.0.1", 0, application, threaded=True)
    application.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with application.app_context():
        _wipe()
        yield Messaging(application, server, fake_twilio, smtp)
        server.shutdown()
        db.session.remove()
        _wipe()
        db.engine.dispose()


# --- SMS tests: a program whose patients have phones, booking through the API -----------------------------

UK_PHONE, US_PHONE = "+447700900123", "+12165550123"


class SmsWorld:
    """`f.program()` with phones for the London patient (UK_PHONE) and the Ohio patient (US_PHONE)."""

    def __init__(self, messaging):
        from tests import factories as f

        self.m, self.f = messaging, f
        self.p = f.program()
        self.p.users["patient"].patient.phone = UK_PHONE
        self.p.users["other"].patient.phone = US_PHONE
        db.session.commit()

    def book(self, who="patient", *, mode="virtual", start="2027-03-08T09:00:00-05:00", site="cleveland", **extra):
        """Book through the API as the patient (`patient` = London, `other` = Ohio); returns the JSON."""
        doc, loc = (self.p.us_doc, self.p.cleveland) if site == "cleveland" else (self.p.uk_doc, self.p.london)
        body = {"visit_type_id": self.p.consult.id, "clinician_id": doc.id, "location_id": loc.id, "mode": mode}
        body |= {"start": start, "patient_region": "US-OH" if site == "cleveland" else "GB", **extra}
        email = "pat@example.org" if who == "patient" else "other@example.org"
        r = self.m.client.post("/api/v1/appointments", json=body, headers=self.f.token(self.m.client, email))
        assert r.status_code == 201, r.json
        return r.json

    def act(self, appt_id: int, action: str, body: dict, who="patient"):
        """POST /appointments/<id>/<action> (reschedule, cancel) through the API."""
        email = "pat@example.org" if who == "patient" else "other@example.org"
        headers = self.f.token(self.m.client, email)
        r = self.m.client.post(f"/api/v1/appointments/{appt_id}/{action}", json=body, headers=headers)
        assert r.status_code == 200, r.json
        return r.json

    def rows(self, **where):
        """Outbox rows matching column=value filters, oldest first (read fresh)."""
        from sqlalchemy import select

        from televisit.models import OutboxMessage

        db.session.expire_all()
        stmt = select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
        return list(db.session.scalars(stmt))

    def row(self, **where):
        """The one outbox row matching the filters."""
        found = self.rows(**where)
        assert len(found) == 1, [(r.key, r.status) for r in found]
        return found[0]

    def phone_state(self, phone=UK_PHONE):
        """Our PhoneState for a number (None when we never recorded one)."""
        from televisit.models import PhoneState

        db.session.expire_all()
        return db.session.get(PhoneState, phone)

    def at(self, instant) -> None:
        """Move the frozen clock (ISO string or datetime)."""
        clock.freeze(datetime.fromisoformat(instant) if isinstance(instant, str) else instant)

    def reconfigure(self, **config) -> None:
        """Change app config and make the jobs rebuild their adapters from it."""
        self.m.app.config.update(config)
        self.m.app.extensions.pop("televisit.senders", None)


@pytest.fixture
def sms(messaging):
    """An SmsWorld on the messaging app (both databases)."""
    return SmsWorld(messaging)
