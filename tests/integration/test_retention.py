"""The retention purge (docs/data-retention.md, issue 17 "Run"): each kind of short-lived data older than its period
is blanked or deleted, younger rows and clinical records are kept, audit_events is never touched, `--dry-run`
changes nothing, the periods come from the settings, and the jobs process runs it daily. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import config
from jobs.definitions import JOBS
from jobs.runner import run_once
from televisit.extensions import db
from televisit.models import (
    AccountToken,
    ApiToken,
    Appointment,
    AuditEvent,
    OutboxMessage,
    TwilioReceipt,
    UserSession,
    WaitingMessage,
)
from tests import factories as f
from tests.integration.test_operations_metrics import scrape, value

DAY = timedelta(days=1)
BODY = {"subject": "Your visit", "body_text": "See you at 9", "body_html": "<p>9</p>", "ics": "BEGIN:VCALENDAR"}


def _appointment(p, end):
    appt = Appointment(
        uid=uuid.uuid4().hex,
        patient=p.users["patient"].patient,
        clinician_id=p.us_doc.id,
        location_id=p.cleveland.id,
        visit_type_id=p.consult.id,
        mode="virtual",
        status="completed",
        start_at=end - timedelta(hours=1),
        end_at=end,
        block_start=end - timedelta(hours=1),
        block_end=end,
        sequence=0,
        created_at=end - 10 * DAY,
        updated_at=end,
    )
    db.session.add(appt)
    return appt


def _message(key, status, created, sent=None):
    due = {"due_at": created, "next_attempt_at": created, "created_at": created, "sent_at": sent}
    return OutboxMessage(key=key, rule="confirmation", channel="email", status=status, **due, **BODY)


def _world(now):
    """One row each side of every period (the defaults), named by what should become of it."""
    p = f.program()
    uid = p.users["patient"].id
    old_visit, recent_visit = _appointment(p, now - 31 * DAY), _appointment(p, now - 29 * DAY)
    db.session.flush()
    rows = {
        "old_body": _message("old", "sent", now - 95 * DAY, now - 91 * DAY),
        "old_failed_body": _message("failed", "failed", now - 91 * DAY),
        "recent_body": _message("recent", "sent", now - 95 * DAY, now - 89 * DAY),
        "old_pending": _message("pending", "pending", now - 200 * DAY),  # not settled: never blanked
        "old_chat": WaitingMessage(appointment_id=old_visit.id, sender="patient", body="hi", created_at=now - 31 * DAY),
        "recent_chat": WaitingMessage(appointment_id=recent_visit.id, sender="clinic", body="hi", created_at=now),
        "old_receipt": TwilioReceipt(message_sid="SMold", event="inbound", received_at=now - 731 * DAY),
        "recent_receipt": TwilioReceipt(message_sid="SMnew", event="inbound", received_at=now - 729 * DAY),
        "old_token": ApiToken(user_id=uid, token_hash="a" * 64, created_at=now - 40 * DAY, expires_at=now - 31 * DAY),
        "revoked_token": ApiToken(
            user_id=uid, token_hash="b" * 64, created_at=now - 40 * DAY, expires_at=now + DAY, revoked_at=now - 31 * DAY
        ),
        "recent_token": ApiToken(
            user_id=uid, token_hash="c" * 64, created_at=now - 40 * DAY, expires_at=now - 29 * DAY
        ),
        "ended_session": UserSession(
            user_id=uid,
            key_hash="d" * 64,
            created_at=now - 40 * DAY,
            last_seen_at=now - 32 * DAY,
            ended_at=now - 31 * DAY,
        ),
        "abandoned_session": UserSession(
            user_id=uid, key_hash="e" * 64, created_at=now - 40 * DAY, last_seen_at=now - 31 * DAY
        ),
        "recent_session": UserSession(
            user_id=uid, key_hash="f" * 64, created_at=now - 40 * DAY, last_seen_at=now - DAY, ended_at=now - DAY
        ),
        "used_link": AccountToken(
            user_id=uid, purpose="reset", created_at=now - 40 * DAY, expires_at=now - 30 * DAY, used_at=now - 31 * DAY
        ),
        "expired_link": AccountToken(
            user_id=uid, purpose="confirm", created_at=now - 40 * DAY, expires_at=now - 31 * DAY
        ),
        "recent_link": AccountToken(user_id=uid, purpose="confirm", created_at=now - 2 * DAY, expires_at=now - DAY),
    }
    db.session.add_all(rows.values())
    audit = {"role": "admin", "action": "patient.read", "object_type": "patient", "outcome": 200, "channel": "api"}
    db.session.add(AuditEvent(at=now - 3000 * DAY, **audit))
    db.session.commit()
    keys = {name: _key(row) for name, row in rows.items()}
    db.session.commit()  # reading the ids began a transaction: on SQLite it holds the write lock
    return keys


def _key(row):
    return (type(row), (row.message_sid, row.event) if isinstance(row, TwilioReceipt) else row.id)


def _left(keys) -> set[str]:
    """The names of the rows still there (an outbox row whose body was blanked counts as gone)."""
    db.session.expire_all()
    left = set()
    for name, (model, key) in keys.items():
        row = db.session.get(model, key)
        if row is not None and not (isinstance(row, OutboxMessage) and row.body_text is None):
            left.add(name)
    db.session.commit()
    return left


def _snapshot() -> dict:
    models = (OutboxMessage, WaitingMessage, TwilioReceipt, ApiToken, UserSession, AccountToken, AuditEvent)
    counts = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models}
    counts["bodies"] = db.session.scalar(select(func.count()).where(OutboxMessage.body_text.isnot(None)))
    db.session.commit()
    return counts


KEPT = {"recent_body", "old_pending", "recent_chat", "recent_receipt", "recent_token", "recent_session", "recent_link"}
PURGED = {
    "message_bodies": 2,
    "waiting_messages": 1,
    "twilio_receipts": 1,
    "api_tokens": 2,
    "user_sessions": 2,
    "account_tokens": 2,
}


def test_the_dry_run_counts_what_would_go_and_changes_nothing(app, frozen_now):
    _world(frozen_now)
    before = _snapshot()
    out = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "message_bodies: would blank 2 (kept 90 days)" in out.output
    assert "twilio_receipts: would delete 1 (kept 730 days)" in out.output
    for name, count in PURGED.items():
        assert f"{name}: would {'blank' if name == 'message_bodies' else 'delete'} {count} " in out.output
    assert _snapshot() == before


def test_the_purge_removes_what_is_past_its_period_in_batches_and_counts_it(app, client, frozen_now):
    keys = _world(frozen_now)
    audit_before = _snapshot()["audit_events"]
    before = scrape(client)
    app.config["RETENTION_BATCH"] = 1  # every kind takes several transactions
    out = app.test_cli_runner().invoke(args=["retention", "run"])
    assert out.exit_code == 0, out.output
    assert "message_bodies: blanked 2 (kept 90 days)" in out.output and "api_tokens: deleted 2 " in out.output
    assert _left(keys) == KEPT
    old = db.session.get(OutboxMessage, keys["old_body"][1])
    assert (old.status, old.key, old.sent_at is not None) == ("sent", "old", True)  # the record stays
    assert (old.subject, old.body_html, old.ics, old.payload) == (None, None, None, None)
    assert _snapshot()["audit_events"] == audit_before
    after = scrape(client)
    for name, count in PURGED.items():
        metric = "televisit_retention_purged_rows_total"
        assert value(after, metric, data=name) - value(before, metric, data=name) == count, name
    again = app.test_cli_runner().invoke(args=["retention", "run"])
    assert "message_bodies: blanked 0" in again.output and "user_sessions: deleted 0" in again.output


def test_the_periods_come_from_the_settings(app, frozen_now, monkeypatch):
    keys = _world(frozen_now)
    monkeypatch.setenv("TELEVISIT_RETAIN_API_TOKENS_DAYS", "60")
    monkeypatch.setenv("TELEVISIT_RETAIN_MESSAGE_BODIES_DAYS", "7")
    cfg = config.TestConfig()
    assert (cfg.RETAIN_API_TOKENS_DAYS, cfg.RETAIN_MESSAGE_BODIES_DAYS, cfg.RETAIN_WAITING_MESSAGES_DAYS) == (60, 7, 30)
    app.config.update(RETAIN_API_TOKENS_DAYS=60, RETAIN_MESSAGE_BODIES_DAYS=7)
    out = app.test_cli_runner().invoke(args=["retention", "run"])
    assert "api_tokens: deleted 0 (kept 60 days)" in out.output
    assert _left(keys) == KEPT - {"recent_body"} | {"old_token", "revoked_token"}
    monkeypatch.setenv("TELEVISIT_RETAIN_TWILIO_RECEIPTS_DAYS", "0")
    with pytest.raises(config.ConfigError, match="TELEVISIT_RETAIN_TWILIO_RECEIPTS_DAYS"):
        config.TestConfig()


def test_the_jobs_process_runs_the_purge_daily(app, frozen_now):
    (job,) = [j for j in JOBS if j.name == "purge_retention"]
    assert job.interval(app.config) == 24 * 3600
    keys = _world(frozen_now)
    results = dict(run_once(app))  # `flask --app wsgi jobs run-once` runs it too
    assert results["purge_retention"] == PURGED
    assert _left(keys) == KEPT
