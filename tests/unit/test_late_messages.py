"""The lateness rule (domain/lateness.py): how late each kind of message may still go out, and why not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from televisit.domain import lateness as late
from televisit.domain.reminders import DEFAULT_POLICY, ReminderRule, parse_policy

START = datetime(2027, 3, 8, 14, 0, tzinfo=timezone.utc)
H48, H2 = DEFAULT_POLICY
WEEK = parse_policy(
    [{"name": "7d", "minutes_before": 7 * 24 * 60, "channels": ["email"]}]
    + [{"name": "2h", "minutes_before": 120, "channels": ["sms"]}]
)[0]
EPS = timedelta(seconds=1)


def facts(kind: str, rule: ReminderRule | None = None) -> late.Facts:
    return late.Facts(late.kind_of(kind), visit_start=START, reminder=rule)


@pytest.mark.parametrize(
    ("kind", "rule", "until", "reason"),
    [
        ("confirmation", None, START, late.LATE_VISIT_STARTED),
        ("moved", None, START, late.LATE_VISIT_STARTED),
        ("cancelled", None, START, late.LATE_VISIT_STARTED),
        ("confirmation-fallback", None, START, late.LATE_VISIT_STARTED),
        ("48h", H48, START - timedelta(hours=24), late.LATE_REMINDER),
        ("48h-fallback", H48, START - timedelta(hours=24), late.LATE_REMINDER),
        ("7d", WEEK, START - timedelta(hours=84), late.LATE_REMINDER),
        ("2h", H2, START, late.LATE_VISIT_STARTED),  # the last reminder: while the visit is ahead
        ("gone-rule", None, START, late.LATE_VISIT_STARTED),  # a rule no longer in the policy
    ],
)
def test_each_visit_message_goes_until_its_deadline_and_not_after(kind, rule, until, reason):
    f = facts(kind, rule)
    assert late.deadline(f) == late.Deadline(until, reason)
    assert late.withdraw_reason(f, until - EPS) is None
    assert late.withdraw_reason(f, until) == reason
    assert late.withdraw_reason(f, START + timedelta(days=3)) == reason


def test_offers_go_while_open_and_unexpired_and_their_gone_notice_until_the_offer_would_have_lapsed():
    expires = START - timedelta(hours=3)
    offer = late.Facts("offer", offer_expires=expires, offer_open=True)
    assert late.withdraw_reason(offer, expires - EPS) is None
    assert late.withdraw_reason(offer, expires) == late.LATE_OFFER_EXPIRED
    closed = late.Facts("offer", offer_expires=expires, offer_open=False)
    assert late.withdraw_reason(closed, expires - EPS) == late.OFFER_CLOSED
    assert late.withdraw_reason(closed, expires) == late.LATE_OFFER_EXPIRED  # expired says more than closed
    gone = late.Facts("offer-gone", offer_expires=expires, offer_open=False)
    assert late.withdraw_reason(gone, expires - EPS) is None
    assert late.withdraw_reason(gone, expires) == late.LATE_OFFER_EXPIRED


def test_a_message_about_nothing_timed_has_no_limit():
    far = START + timedelta(days=400)
    assert late.deadline(late.Facts("welcome")) is None
    assert late.withdraw_reason(late.Facts("welcome"), far) is None
    assert late.withdraw_reason(late.Facts("offer-gone", offer_open=False), far) is None


def test_no_planned_reminder_is_born_late():
    """Every reminder the planner can make is due before its deadline (so only an outage makes one late)."""
    from zoneinfo import ZoneInfo

    from televisit.domain.reminders import plan

    booked = START - timedelta(days=20)
    for zone in ("America/New_York", "Europe/London", "Pacific/Honolulu"):
        for hours in range(0, 24 * 8, 5):
            start = START + timedelta(hours=hours)
            tz = ZoneInfo(zone)
            for p in plan(
                start,
                rules=(WEEK, H48, H2),
                site_zone=tz,
                patient_zone=tz,
                now=booked,
                channels=frozenset({"sms", "email"}),
            ):
                rule = next(r for r in (WEEK, H48, H2) if r.name == p.rule)
                f = late.Facts(p.rule, visit_start=start, reminder=rule)
                assert late.withdraw_reason(f, p.due) is None, (zone, start, p)
