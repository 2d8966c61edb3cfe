"""SMTP down, then back: the email waits in the outbox, is retried with backoff and arrives exactly once.

(Twilio answering 5xx, refusing connections or timing out is covered in test_sms_twilio_errors.py; a
`kill -9` of the jobs process mid-batch in test_dispatch_crash.py.)
"""

from __future__ import annotations

from datetime import timedelta

from aiosmtpd.controller import Controller

from televisit.services.messaging.dispatch import backoff
from tests.conftest import NOW

PATIENT = "pat@example.org"


def _emails(messaging) -> list:
    return [m for m in messaging.smtp.recorder.messages if PATIENT in (m["To"] or "")]


def _restart_smtp_on_the_same_port(messaging) -> None:
    smtp = messaging.smtp
    smtp.controller = Controller(smtp.recorder, hostname="127.0.0.1", port=smtp.port)
    smtp.controller.start()


def test_smtp_down_then_restarted_sends_the_email_once_and_sms_meanwhile(sms, messaging):
    messaging.smtp.stop()  # nothing listens on the SMTP port now: connection refused
    appt = sms.book()
    messaging.run_jobs()

    email = sms.row(appointment_id=appt["id"], rule="confirmation", channel="email")
    assert (email.status, email.attempts, email.next_attempt_at) == ("pending", 1, NOW + backoff(1))
    assert "SMTP unavailable" in (email.last_error or "")
    assert sms.row(appointment_id=appt["id"], rule="confirmation", channel="sms").status == "sent"  # SMS unaffected

    sms.at(NOW + backoff(1))  # still down at the first retry: a second attempt, nothing lost
    messaging.run_jobs()
    email = sms.row(appointment_id=appt["id"], rule="confirmation", channel="email")
    assert (email.status, email.attempts) == ("pending", 2)

    _restart_smtp_on_the_same_port(messaging)
    messaging.run_jobs()  # not due yet: the backoff holds even though the server is back
    assert _emails(messaging) == []
    sms.at(email.next_attempt_at)
    messaging.run_jobs()
    email = sms.row(appointment_id=appt["id"], rule="confirmation", channel="email")
    assert (email.status, email.attempts) == ("sent", 3)
    got = _emails(messaging)
    assert len(got) == 1 and got[0]["Message-ID"]

    sms.at(email.next_attempt_at + timedelta(hours=1))  # later runs never send it again
    messaging.run_jobs()
    messaging.run_jobs()
    assert len(_emails(messaging)) == 1
    assert sms.row(appointment_id=appt["id"], rule="confirmation", channel="email").status == "sent"
