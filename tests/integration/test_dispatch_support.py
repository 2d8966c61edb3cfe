"""Shared helpers for the jobs-process tests (this module holds helpers only, no tests).

Real `flask --app wsgi jobs ...` subprocesses run against a test database, with TWILIO_* pointing at the
fake Twilio server and SMTP_* at the local aiosmtpd server, both living in the pytest process.
"""

from __future__ import annotations

import ast
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

from televisit.extensions import db
from televisit.models import Appointment, OutboxMessage, Patient
from televisit.services import outbox
from tests import factories as f
from tests.conftest import _make_app, _wipe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRST_VISIT = datetime.fromisoformat("2027-03-08T14:00:00+00:00")


@contextlib.contextmanager
def app_on(url: str):
    """An app context on `url`, wiped before and after."""
    app = _make_app(url)
    with app.app_context():
        _wipe()
        try:
            yield app
        finally:
            db.session.remove()
            _wipe()
            db.engine.dispose()


def make_due(n: int, now: datetime, *, email: bool = True) -> None:
    """`n` Cleveland appointments, one patient (own phone) each, planned as a booking would plan them:
    a confirmation SMS (and email) due at `now`, the reminders later. Inserted directly for speed."""
    p = f.program()
    for i in range(n):
        patient = Patient(
            name=f"Patient {i}",
            email=f"p{i}@example.org" if email else None,
            phone=f"+1216555{i:04d}",
            timezone="America/New_York",
            region="US-OH",
            created_at=now,
            sms_opt_in=True,
            email_opt_in=email,
        )
        start = FIRST_VISIT + timedelta(hours=i)  # one an hour: no two overlap
        appt = Appointment(
            uid=uuid.uuid4().hex,
            patient=patient,
            clinician_id=p.us_doc.id,
            location_id=p.cleveland.id,
            visit_type_id=p.consult.id,
            mode="virtual",
            status="booked",
            start_at=start,
            end_at=start + timedelta(hours=1),
            block_start=start,
            block_end=start + timedelta(hours=1),
            sequence=0,
            created_at=now,
            updated_at=now,
        )
        db.session.add(appt)
        outbox.on_booked(db.session, appt, now=now)
    db.session.commit()


def due_rows(now: datetime) -> list[OutboxMessage]:
    """Outbox rows due at `now` (read fresh)."""
    db.session.expire_all()
    rows = db.session.query(OutboxMessage).filter(OutboxMessage.due_at <= now).order_by(OutboxMessage.id).all()
    db.session.commit()
    return rows


def jobs_env(url: str, now: datetime, twilio, smtp, **extra: str) -> dict[str, str]:
    """The environment of a jobs process on `url`, its clock starting at `now`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_"))}
    env.update(
        TELEVISIT_DATABASE_URL=url,
        TELEVISIT_NOW=now.isoformat(),
        TELEVISIT_SECRET_KEY="jobs-test-secret-" + "x" * 20,
        TELEVISIT_PUBLIC_URL="http://televisit.test",
        TWILIO_ACCOUNT_SID="ACtest",
        TWILIO_AUTH_TOKEN=twilio.auth_token,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=twilio.url,
        TWILIO_RATE_PER_SECOND="0",
        TWILIO_TIMEOUT_SECONDS="5",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Jobs:
    """One `flask --app wsgi jobs <command>` subprocess; its output goes to a file (no pipe to fill up)."""

    def __init__(self, command: str, env: dict[str, str]):
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - read after the process ends; closed when collected
        args = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", command]
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 120) -> int:
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def results(self) -> dict[str, dict]:
        """`jobs run-once` prints `name: {counts}` per job."""
        out = {}
        for line in self.output().splitlines():
            name, sep, rest = line.partition(": ")
            if sep and name in ("reconcile_outbox", "offer_freed_slots", "dispatch_outbox"):
                out[name] = ast.literal_eval(rest)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def wait_until(predicate, seconds: float = 60.0, every: float = 0.005) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def sms_arrivals(twilio) -> Counter:
    """Outbox row id -> times the fake Twilio accepted it (the status callback URL names the row)."""
    return Counter(int(m["status_callback"].rsplit("o=", 1)[1]) for m in list(twilio.messages))


def email_arrivals(smtp) -> Counter:
    """Message-ID -> times the SMTP server received it."""
    with smtp.recorder.lock:
        return Counter(m["Message-ID"] for m in smtp.recorder.messages)


def slow_down(twilio, seconds: float, n: int) -> None:
    """Make the fake Twilio hold each answer to the `n` patients of make_due for `seconds`."""
    for i in range(n):
        twilio.script(f"+1216555{i:04d}", delay=seconds)
