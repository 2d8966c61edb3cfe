"""TWILIO_RATE_PER_SECOND paces SMS to the account's messages per second; 0 turns pacing off."""

from __future__ import annotations

import time

import pytest

from televisit.extensions import db
from tests.conftest import UK_PHONE

MONDAYS = ("2027-03-08", "2027-03-15", "2027-03-22", "2027-03-29")


def _ten_confirmations_due(sms) -> None:
    """Ten bookings (SMS only, so email does not blur the timing) whose confirmations are all due now."""
    sms.p.users["patient"].patient.email_opt_in = False
    db.session.commit()
    sms.m.app.config["PATIENT_MAX_UPCOMING"] = 10  # ten self-bookings: past the default cap of six
    starts = [f"{day}T{hour}:00:00" for day in MONDAYS for hour in ("09", "10", "11")][:10]
    for start in starts:
        offset = "-05:00" if start < "2027-03-14" else "-04:00"
        sms.book(start=start + offset)
    assert len(sms.rows(channel="sms", rule="confirmation")) == 10


def _timed_dispatch(sms, messaging, rate: float) -> float:
    sms.reconfigure(TWILIO_RATE_PER_SECOND=rate)
    messaging.twilio.send_callbacks = False  # delivery reports would compete with the dispatcher for the DB
    _ten_confirmations_due(sms)
    messaging.settle()
    started = time.monotonic()
    result = messaging.run_jobs()
    elapsed = time.monotonic() - started
    assert result["dispatch_outbox"] == {"sent": 10}
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 10
    return elapsed


def _spread(messaging) -> float:
    """Seconds from the first message Twilio accepted to the last (the job's own start-up not counted)."""
    return max(messaging.twilio.accepted_at) - min(messaging.twilio.accepted_at)


def test_five_per_second_spreads_ten_messages_over_about_two_seconds(sms, messaging):
    elapsed = _timed_dispatch(sms, messaging, 5)
    assert elapsed >= 1.6  # 9 gaps of 0.2 s after the first message; loose on purpose
    assert _spread(messaging) >= 1.5


@pytest.mark.parametrize("rate", [0, 1000])
def test_no_pacing_when_off_or_generous(sms, messaging, rate):
    _timed_dispatch(sms, messaging, rate)
    # Paced at 5/s the ten would spread over 1.8 s. The spread of arrivals, not the job's total time, which
    # also counts its start-up and moves with whatever else the machine is doing.
    assert _spread(messaging) < 1.2
