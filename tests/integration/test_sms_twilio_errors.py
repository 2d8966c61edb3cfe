"""Each Twilio failure, driven through the real path: book via the API, run the jobs, read the fake Twilio."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from twilio.request_validator import RequestValidator

from televisit.extensions import db
from televisit.services.messaging.dispatch import MAX_ATTEMPTS, backoff
from televisit.services.messaging.reconcile import GRACE
from tests.conftest import NOW, UK_PHONE

DUE_48H = "2027-03-06T14:00:00+00:00"  # the 48 h reminder of the Mon 8 Mar 09:00 EST visit
DUE_2H = "2027-03-08T12:00:00+00:00"


def sms_requests(fake, to=UK_PHONE) -> int:
    """Create calls that reached the fake Twilio for `to` (accepted or not)."""
    return sum(1 for r in fake.requests if r.get("To") == to)


def wait_for(predicate, seconds=8.0):
    """Poll `predicate` (ending our transaction each time, so other threads can write)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = predicate()
        db.session.commit()  # never sleep inside a transaction: on SQLite it holds the write lock
        if done:
            return True
        time.sleep(0.05)
    return False


def test_21610_opts_the_number_out_and_stops_every_later_sms(sms, messaging):
    messaging.twilio.script(UK_PHONE, error_code=21610)
    appt = sms.book()
    messaging.run_jobs()
    assert sms.row(rule="confirmation", channel="sms").status == "skipped"
    state = sms.phone_state()
    assert state is not None and state.opted_out and not state.invalid
    assert sms_requests(messaging.twilio) == 1 and messaging.twilio.messages == []

    sms.at(DUE_48H)
    messaging.run_jobs()
    assert sms.row(rule="48h", channel="sms").status == "skipped"
    assert sms.row(rule="48h", channel="email").status == "sent"  # email is untouched by an SMS opt-out
    sms.at(DUE_2H)
    messaging.run_jobs()
    assert sms.row(rule="2h", channel="sms").status == "skipped"
    sms.act(appt["id"], "cancel", {})
    messaging.run_jobs()
    assert sms.rows(rule="cancelled", channel="sms") == []  # not even planned for an opted-out number
    assert sms_requests(messaging.twilio) == 1


@pytest.mark.parametrize("code", [21211, 21614])
def test_invalid_number_is_marked_and_the_same_message_goes_by_email(sms, messaging, code):
    messaging.twilio.script(UK_PHONE, error_code=code)
    sms.book()
    messaging.run_jobs()
    assert sms.row(rule="confirmation", channel="sms").status == "skipped"
    state = sms.phone_state()
    assert state.invalid and not state.opted_out and str(code) in state.reason
    fallback = sms.row(rule="confirmation-fallback", channel="email")
    assert fallback.status == "sent" and fallback.to_address == "pat@example.org"
    mails = messaging.smtp.recorder.to("pat@example.org")
    assert len(mails) == 2  # the confirmation email itself, and the SMS's stand-in
    assert mails[0]["Subject"] == mails[1]["Subject"]

    sms.at(DUE_2H)  # the 2 h reminder is SMS only: it must still reach the patient, by email
    messaging.run_jobs()
    assert sms.row(rule="2h", channel="sms").status == "skipped"
    assert sms.row(rule="2h-fallback", channel="email").status == "sent"
    assert "/l/join/" in messaging.smtp.recorder.to("pat@example.org")[-1].get_body(("plain",)).get_content()
    assert sms_requests(messaging.twilio) == 1 and messaging.twilio.messages == []


def test_5xx_is_retried_with_backoff_and_delivered_once(sms, messaging):
    messaging.twilio.script(UK_PHONE, fail_5xx=2)
    sms.book()
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, NOW + backoff(1))
    messaging.run_jobs()  # not due yet: nothing is sent early
    assert sms_requests(messaging.twilio) == 1

    sms.at(NOW + backoff(1))
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 2, NOW + backoff(1) + backoff(2))
    sms.at(row.next_attempt_at)
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    assert (row.status, row.attempts) == ("sent", 3) and row.provider_id
    sms.at(row.next_attempt_at + timedelta(hours=1))
    messaging.run_jobs()
    assert sms_requests(messaging.twilio) == 3 and len(messaging.twilio.bodies_to(UK_PHONE)) == 1


def test_gives_up_after_max_attempts(sms, messaging):
    messaging.twilio.script(UK_PHONE, fail_5xx=1000)
    sms.book()
    for _ in range(MAX_ATTEMPTS):
        messaging.run_jobs()
        row = sms.row(rule="confirmation", channel="sms")
        sms.at(row.next_attempt_at)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS) and "500" in row.last_error
    sms.at(NOW + timedelta(days=1))
    messaging.run_jobs()
    assert sms_requests(messaging.twilio) == MAX_ATTEMPTS and messaging.twilio.messages == []


TWILIO_LATE = 10.0  # seconds the fake Twilio takes to answer a request we time out on


def _time_out_once(sms, messaging, **fake_settings):
    """Book with Twilio answering later than our timeout (it accepts the message all the same)."""
    sms.reconfigure(TWILIO_TIMEOUT_SECONDS=1.0)
    for name, value in fake_settings.items():
        setattr(messaging.twilio, name, value)
    messaging.twilio.script(UK_PHONE, delay=TWILIO_LATE, delay_times=1)
    sms.book()
    started = time.monotonic()
    messaging.run_jobs()
    # We gave up waiting after our 1 s; we did not sit out Twilio's delay. (The margin is wide: a loaded machine
    # took 4.5 s for this run of every job when the delay was 5 s.)
    assert time.monotonic() - started < TWILIO_LATE - 2
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 1


def test_read_timeout_is_unconfirmed_not_resent_and_settled_by_the_callback(sms, messaging):
    _time_out_once(sms, messaging, callback_delay=1.5)  # the callback comes after we gave up
    row = sms.row(rule="confirmation", channel="sms")
    assert row.status == "unconfirmed" and row.attempts == 1
    messaging.run_jobs()
    assert sms_requests(messaging.twilio) == 1
    assert wait_for(lambda: sms.row(rule="confirmation", channel="sms").status == "sent")
    row = sms.row(rule="confirmation", channel="sms")
    assert row.provider_id == messaging.twilio.messages[0]["sid"]
    sms.at(NOW + GRACE * 3)
    messaging.run_jobs()
    assert sms_requests(messaging.twilio) == 1 and len(messaging.twilio.bodies_to(UK_PHONE)) == 1


def test_callback_arriving_before_the_timeout_is_not_undone(sms, messaging):
    _time_out_once(sms, messaging)  # the fake posts "sent" while our request still waits for its answer
    assert wait_for(lambda: sms.row(rule="confirmation", channel="sms").status == "sent", seconds=3)
    assert sms.row(rule="confirmation", channel="sms").provider_id == messaging.twilio.messages[0]["sid"]


def test_read_timeout_without_callback_is_settled_by_reconcile(sms, messaging):
    _time_out_once(sms, messaging, send_callbacks=False)
    assert sms.row(rule="confirmation", channel="sms").status == "unconfirmed"
    sms.at(NOW + GRACE / 2)
    messaging.run_jobs()
    assert sms.row(rule="confirmation", channel="sms").status == "unconfirmed"  # still within the grace
    sms.at(NOW + GRACE + timedelta(minutes=1))
    result = messaging.run_jobs()
    assert result["reconcile_outbox"]["found_sent"] == 1
    row = sms.row(rule="confirmation", channel="sms")
    assert row.status == "sent" and row.provider_id == messaging.twilio.messages[0]["sid"]
    sms.at(NOW + timedelta(hours=1))
    messaging.run_jobs()
    assert sms_requests(messaging.twilio) == 1 and len(messaging.twilio.bodies_to(UK_PHONE)) == 1


def test_reconcile_resends_only_what_twilio_never_got(sms, messaging):
    _time_out_once(sms, messaging, send_callbacks=False)
    messaging.twilio.messages.clear()  # as if the request had been lost on the way in
    sms.at(NOW + GRACE + timedelta(minutes=1))
    result = messaging.run_jobs()
    assert result["reconcile_outbox"]["requeued"] == 1
    assert sms.row(rule="confirmation", channel="sms").status == "sent"
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 1 and sms_requests(messaging.twilio) == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_transient_and_retried(sms, messaging):
    real_url = messaging.app.config["TWILIO_API_BASE_URL"]
    sms.reconfigure(TWILIO_API_BASE_URL=f"http://127.0.0.1:{_closed_port()}")
    sms.book()
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, NOW + backoff(1))
    assert "unreachable" in row.last_error
    sms.reconfigure(TWILIO_API_BASE_URL=real_url)
    sms.at(row.next_attempt_at)
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 1


def delivery_report(messaging, row_id: int, status: str, error_code: int | None = None):
    """Post a delivery report for outbox row `row_id`, signed as Twilio signs it."""
    path = f"/webhooks/twilio/status?o={row_id}"
    params = {"MessageSid": messaging.twilio.messages[-1]["sid"], "MessageStatus": status, "To": UK_PHONE}
    if error_code:
        params["ErrorCode"] = str(error_code)
    url = messaging.app.config["PUBLIC_URL"] + path
    signature = RequestValidator(messaging.twilio.auth_token).compute_signature(url, params)
    r = messaging.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 204


def test_21610_reported_later_by_the_status_callback_stops_later_sms(sms, messaging):
    messaging.twilio.send_callbacks = False
    sms.book()
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    delivery_report(messaging, row.id, "undelivered", 21610)
    assert sms.phone_state().opted_out and sms.row(id=row.id).provider_status == "undelivered"
    sms.at(DUE_48H)
    messaging.run_jobs()
    assert sms.row(rule="48h", channel="sms").status == "skipped" and sms_requests(messaging.twilio) == 1


def test_a_failed_report_settles_an_unconfirmed_send_as_failed(sms, messaging):
    _time_out_once(sms, messaging, send_callbacks=False)
    row = sms.row(rule="confirmation", channel="sms")
    delivery_report(messaging, row.id, "failed", 30006)
    row = sms.row(id=row.id)
    assert (row.status, row.provider_status) == ("failed", "failed") and "30006" in row.last_error
    sms.at(NOW + GRACE * 2)
    messaging.run_jobs()  # reconcile must not call it "sent" because Twilio knows its SID
    assert sms.row(id=row.id).status == "failed" and sms_requests(messaging.twilio) == 1
