"""Every reply keyword through POST /webhooks/twilio/sms, signed as Twilio signs it; answers are TwiML."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from twilio.request_validator import RequestValidator

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment
from televisit.services.messaging import links
from tests.conftest import UK_PHONE, US_PHONE

INBOUND = "/webhooks/twilio/sms"
HELP_MARKS = ("Televisit Health", "reply C", "R for a link", "STOP")


def reply(messaging, body: str, from_: str = UK_PHONE) -> str | None:
    """Text `body` to us from `from_`; returns the one <Message> of the TwiML answer, or None."""
    # every text has its own MessageSid (a repeated one is a replay, answered and ignored)
    params = {"From": from_, "To": "+15005550006", "Body": body, "MessageSid": "SM" + uuid.uuid4().hex}
    url = messaging.app.config["PUBLIC_URL"] + INBOUND
    signature = RequestValidator(messaging.twilio.auth_token).compute_signature(url, params)
    r = messaging.client.post(INBOUND, data=params, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 200 and r.mimetype == "text/xml"
    root = ET.fromstring(r.data)  # valid XML, or this raises
    assert root.tag == "Response" and all(child.tag == "Message" for child in root)
    assert len(root) <= 1
    return root[0].text if len(root) else None


def appointment(appt_id: int) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appt_id)


def assert_help(text: str | None) -> None:
    assert text is not None and all(mark in text for mark in HELP_MARKS), text


C_VARIANTS = ["C", "c", " c ", "C.", "c!", "'C'", "\u2018c\u2019", "C thanks", "\tc\n"]


def test_c_in_any_spelling_confirms_the_next_appointment_only(sms, messaging):
    later = sms.book(start="2027-03-15T09:00:00-04:00")
    first = sms.book(start="2027-03-08T10:00:00-05:00")
    for body in C_VARIANTS:
        appointment(first["id"]).confirmed_at = None
        db.session.commit()
        text = reply(messaging, body)
        assert text is not None and "confirmed" in text and "Televisit Health" in text, body
        assert appointment(first["id"]).confirmed_at == clock.now(), body
        assert appointment(later["id"]).confirmed_at is None


def test_r_in_any_spelling_answers_with_a_working_reschedule_link(sms, messaging):
    appt = sms.book()
    public = messaging.app.config["PUBLIC_URL"]
    for body in ["R", "r", " r? ", "R please", "\u201cR\u201d"]:
        text = reply(messaging, body)
        found = re.findall(r"(https?://\S+/l/reschedule/(\S+))", text or "")
        assert len(found) == 1, (body, text)
        url, token = found[0]
        assert url.startswith(public + "/l/reschedule/")
        claims = links.read(messaging.app.config["SECRET_KEY"], "reschedule", token, now=clock.now())
        assert (claims.appointment_id, claims.sequence) == (appt["id"], appt["sequence"])
        page = messaging.client.get(url.removeprefix(public))
        assert page.status_code == 200 and b"Choose another time" in page.data
    assert appointment(appt["id"]).confirmed_at is None  # R is not C


def test_stop_silences_reminders_and_start_resumes_them(sms, messaging):
    sms.book()
    messaging.run_jobs()
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 1  # the confirmation
    assert reply(messaging, "STOP") is None  # Twilio itself confirms an opt-out; we answer nothing
    assert sms.phone_state().opted_out

    sms.at("2027-03-06T14:00:00+00:00")  # the 48 h reminder
    messaging.run_jobs()
    assert sms.row(rule="48h", channel="sms").status == "skipped"
    assert sms.row(rule="48h", channel="email").status == "sent"
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 1 and len(messaging.twilio.requests) == 1

    text = reply(messaging, "start")
    assert text is not None and "again" in text and not sms.phone_state().opted_out
    sms.at("2027-03-08T12:00:00+00:00")  # the 2 h reminder
    messaging.run_jobs()
    assert sms.row(rule="2h", channel="sms").status == "sent"
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 2 and "/l/join/" in messaging.twilio.bodies_to(UK_PHONE)[1]


STOP_VARIANTS = ["stop", " Stop. ", "STOP!", "unsubscribe", "Cancel", "quit", "end", "STOPALL", "optout", "revoke"]
START_VARIANTS = ["START", "unstop", "Yes", "yes.", "Start!"]


def test_every_stop_word_opts_out_and_every_start_word_opts_back_in(sms, messaging):
    for stop, start in zip(STOP_VARIANTS, START_VARIANTS * 2, strict=True):
        assert reply(messaging, stop) is None, stop
        assert sms.phone_state().opted_out, stop
        text = reply(messaging, start)
        assert text is not None and "STOP" in text, start
        assert not sms.phone_state().opted_out, start
    assert sms.phone_state(US_PHONE) is None  # only the number that wrote was touched


def test_start_after_stop_lets_a_new_booking_plan_sms_again(sms, messaging):
    reply(messaging, "STOP")
    first = sms.book()
    assert sms.rows(appointment_id=first["id"], channel="sms") == []
    reply(messaging, "START")
    second = sms.book(start="2027-03-08T10:00:00-05:00")
    messaging.run_jobs()
    assert sms.row(appointment_id=second["id"], rule="confirmation", channel="sms").status == "sent"


OTHER_TEXTS = ["", "   ", "what time is it?", "Confirm", "ok", "\U0001f44d", "<b>&amp;</b>", "]]>", "x" * 2000]


def test_help_and_anything_else_get_the_help_text(sms, messaging):
    appt = sms.book()
    for body in ["HELP", "help", "Info", " help? ", *OTHER_TEXTS]:
        assert_help(reply(messaging, body))
    assert sms.phone_state() is None  # none of these changed anything
    assert appointment(appt["id"]).confirmed_at is None


@pytest.mark.parametrize("body", ["C", "R"])
def test_unknown_number_gets_a_polite_answer(sms, messaging, body):
    sms.book()
    text = reply(messaging, body, from_="+15555550199")
    assert text is not None and "no upcoming appointment" in text and "/l/" not in text
    assert_help(reply(messaging, "hello?", from_="+15555550199"))


def test_c_after_the_visit_was_cancelled_confirms_nothing(sms, messaging):
    appt = sms.book()
    sms.act(appt["id"], "cancel", {})
    text = reply(messaging, "C")
    assert text is not None and "no upcoming appointment" in text
    assert appointment(appt["id"]).confirmed_at is None
