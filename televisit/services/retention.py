"""Data retention (docs/data-retention.md, "How it is purged"): the daily purge of short-lived data, in batches.

Message bodies are blanked (the row, its key and its delivery state stay); expired tokens, ended sessions, old
waiting-room chat and old Twilio receipts are deleted. Clinical and scheduling records are never touched, nor
`audit_events` (append-only: its triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from televisit import metrics
from televisit.models import (
    AccountToken,
    ApiToken,
    Appointment,
    OutboxMessage,
    TwilioReceipt,
    UserSession,
    WaitingMessage,
)
from televisit.services.outbox import FAILED, SENT, SKIPPED, WITHDRAWN

SETTLED = (SENT, FAILED, WITHDRAWN, SKIPPED)
BODY = ("subject", "body_text", "body_html", "ics", "payload")  # what a message said; the rest is its record


@dataclass(frozen=True)
class Periods:
    """Days each kind of data is kept (docs/data-retention.md, "How long"); TELEVISIT_RETAIN_<NAME>_DAYS."""

    message_bodies: int = 90
    waiting_messages: int = 30
    twilio_receipts: int = 730
    api_tokens: int = 30
    user_sessions: int = 30
    account_tokens: int = 30

    @classmethod
    def from_config(cls, config) -> Periods:
        """The periods of the app's settings (RETAIN_<NAME>_DAYS), the defaults above when unset."""
        return cls(**{f.name: int(config.get(f"RETAIN_{f.name.upper()}_DAYS") or f.default) for f in fields(cls)})


@dataclass(frozen=True)
class Rule:
    """Which rows of `model` are past their period (given the cutoff), and whether they are blanked or deleted."""

    model: type
    keys: tuple[str, ...]
    old: Callable[[datetime], object]
    blank: tuple[str, ...] = ()

    def key(self):
        """The primary key, as one expression (a row value when it has several columns)."""
        cols = [getattr(self.model, k) for k in self.keys]
        return cols[0] if len(cols) == 1 else tuple_(*cols)


def _message_bodies(cutoff: datetime):
    m = OutboxMessage
    settled_at = func.coalesce(m.sent_at, m.created_at)
    return and_(m.status.in_(SETTLED), settled_at < cutoff, or_(*(getattr(m, c).isnot(None) for c in BODY)))


RULES: dict[str, Rule] = {
    "message_bodies": Rule(OutboxMessage, ("id",), _message_bodies, blank=BODY),
    "waiting_messages": Rule(
        WaitingMessage,
        ("id",),
        lambda cutoff: WaitingMessage.appointment_id.in_(select(Appointment.id).where(Appointment.end_at < cutoff)),
    ),
    "twilio_receipts": Rule(TwilioReceipt, ("message_sid", "event"), lambda cutoff: TwilioReceipt.received_at < cutoff),
    "api_tokens": Rule(
        ApiToken, ("id",), lambda cutoff: func.coalesce(ApiToken.revoked_at, ApiToken.expires_at) < cutoff
    ),
    # A session nobody ended (the browser was closed) ended by itself long before its last activity + the period.
    "user_sessions": Rule(
        UserSession, ("id",), lambda cutoff: func.coalesce(UserSession.ended_at, UserSession.last_seen_at) < cutoff
    ),
    "account_tokens": Rule(
        AccountToken, ("id",), lambda cutoff: func.coalesce(AccountToken.used_at, AccountToken.expires_at) < cutoff
    ),
}


def cutoffs(periods: Periods, now: datetime) -> dict[str, datetime]:
    """Per kind of data, the instant before which it is purged."""
    return {name: now - timedelta(days=getattr(periods, name)) for name in RULES}


def due(session: Session, periods: Periods, *, now: datetime) -> dict[str, int]:
    """How many rows of each kind the purge would blank or delete now (the dry run: nothing changes)."""
    counts = {}
    for name, cutoff in cutoffs(periods, now).items():
        rule = RULES[name]
        counts[name] = session.scalar(select(func.count()).select_from(rule.model).where(rule.old(cutoff))) or 0
    session.rollback()
    return counts


def purge(
    session: Session, periods: Periods, *, now: datetime, batch: int = 1000, stop: Callable[[], bool] = lambda: False
) -> dict[str, int]:
    """Blank or delete every row past its period, `batch` rows per transaction; the rows changed per kind.

    Counted in televisit_retention_purged_rows_total. `stop` ends it between two batches (the next run goes on)."""
    counts = {}
    for name, cutoff in cutoffs(periods, now).items():
        counts[name] = 0
        while not stop():
            changed = _one_batch(session, RULES[name], cutoff, batch)
            session.commit()
            counts[name] += changed
            if changed:
                metrics.retention_purged(name, changed)
            if changed < batch:
                break
    return counts


def _one_batch(session: Session, rule: Rule, cutoff: datetime, batch: int) -> int:
    chosen = select(*(getattr(rule.model, k) for k in rule.keys)).where(rule.old(cutoff)).limit(batch)
    if rule.blank:
        stmt = update(rule.model).where(rule.key().in_(chosen)).values(dict.fromkeys(rule.blank))
    else:
        stmt = delete(rule.model).where(rule.key().in_(chosen))
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def report(counts: dict[str, int], periods: Periods, *, dry_run: bool) -> Iterator[str]:
    """One line per kind of data: what was (or would be) blanked or deleted, and its period."""
    for name, count in counts.items():
        verb = "blank" if RULES[name].blank else "delete"
        done = f"would {verb}" if dry_run else {"blank": "blanked", "delete": "deleted"}[verb]
        yield f"{name}: {done} {count} (kept {getattr(periods, name)} days)"
