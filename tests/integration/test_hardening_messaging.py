"""Issue 12, items 11 and 18 (SQLite and PostgreSQL).

11. A validly signed Twilio webhook replayed (or delivered twice at once) is answered and not acted on again:
    inbound SMS by MessageSid, status callbacks by (MessageSid, MessageStatus), guarded by the database.
18. After a jobs-process outage, a message that is no longer timely (domain/lateness.py) is withdrawn with its
    reason instead of sent; the timely ones go out; nothing goes twice.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import requests
from markupsafe import escape
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from jobs.definitions import offer_freed_slots
from televisit import clock
from televisit.domain import lateness as late
from televisit.extensions import db
from televisit.models import Appointment, OutboxMessage, TwilioReceipt
from televisit.services.messaging import dispatch
from televisit.services.messaging.messages import settings_from
from tests import factories as f
from tests.conftest import UK_PHONE
from tests.integration.test_dispatch_support import ROOT, jobs_env
from tests.integration.test_waitlist_support import standard
from tests.support.patient_world import LONDON, OHIO, build, html, text_of

INBOUND, STATUS = "/webhooks/twilio/sms", "/webhooks/twilio/status"
RESCHEDULE_LINK = re.compile(r"/l/reschedule/\S+")


# --- 11: replayed webhooks ------------------------------------------------------------------------------------


def signed(messaging, path: str, params: dict) -> dict:
    """The X-Twilio-Signature header Twilio would send for `params` posted to `path` (query included)."""
    url = messaging.app.config["PUBLIC_URL"] + path
    return {"X-Twilio-Signature": RequestValidator(messaging.twilio.auth_token).compute_signature(url, params)}


def text_params(body: str, sid: str, from_: str = UK_PHONE) -> dict:
    return {"From": from_, "To": "+15005550006", "Body": body, "MessageSid": sid, "AccountSid": "ACtest"}


def answer(response) -> str | None:
    """The one <Message> of a TwiML answer (None for an empty <Response/>)."""
    kind = response.headers.get("Content-Type", "").split(";")[0]  # a test-client or a `requests` response
    assert response.status_code == 200 and kind == "text/xml", response.status_code
    root = ET.fromstring(response.content if isinstance(response, requests.Response) else response.data)
    assert root.tag == "Response" and len(root) <= 1
    return root[0].text if len(root) else None


def text_us(messaging, body: str, sid: str, from_: str = UK_PHONE) -> str | None:
    """Post an inbound SMS, signed as Twilio signs it; returns the answer's text."""
    params = text_params(body, sid, from_)
    return answer(messaging.client.post(INBOUND, data=params, headers=signed(messaging, INBOUND, params)))


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def confirmed_at(appt_id: int):
    db.session.expire_all()
    return db.session.get(Appointment, appt_id).confirmed_at


def test_a_replayed_reply_is_answered_empty_and_changes_nothing(sms, messaging):
    appt = sms.book()
    c, r, stop, start = new_sid(), new_sid(), new_sid(), new_sid()

    assert "confirmed" in text_us(messaging, "C", c)
    first = confirmed_at(appt["id"])
    sms.at(clock.now() + timedelta(hours=1))
    assert text_us(messaging, "C", c) is None and confirmed_at(appt["id"]) == first

    assert RESCHEDULE_LINK.search(text_us(messaging, "R", r))
    assert text_us(messaging, "R", r) is None  # no second link, to the phone or to whoever replays it

    assert text_us(messaging, "STOP", stop) is None and sms.phone_state().opted_out
    assert "again" in text_us(messaging, "START", start) and not sms.phone_state().opted_out
    assert text_us(messaging, "STOP", stop) is None
    assert not sms.phone_state().opted_out  # the replayed STOP did not opt the patient out again
    assert text_us(messaging, "C", new_sid()) is not None  # a new text (its own MessageSid) is acted on

    db.session.expire_all()
    rows = db.session.execute(select(TwilioReceipt.message_sid, TwilioReceipt.event)).all()
    assert len(rows) == 5 and {(sid, "inbound") for sid in (c, r, stop, start)} < set(rows)


def test_a_replayed_y_does_not_take_a_later_offer(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])
    w.deliver()
    assert w.offers() == [("a", "open"), ("b", "open"), ("c", "open")]
    y = new_sid()
    took = text_us(messaging, "Y", y, w.people["a"].phone)
    assert "moved to the earlier time" in took and w.appt(ids["a"])["sequence"] == 1
    first_start = w.start_of(ids["a"])

    assert w.join("a", ids["a"]).status_code == 201  # A waits for an even earlier time
    w.cancel(ids["e"])  # and one frees up: A is offered it
    w.deliver()
    assert w.offer_of("a").status == "open"
    assert text_us(messaging, "Y", y, w.people["a"].phone) is None  # the old "Y" again
    assert w.offer_of("a").status == "open" and w.appt(ids["a"])["sequence"] == 1
    assert w.start_of(ids["a"]) == first_start


def test_two_deliveries_of_one_text_at_once_act_once(sms, messaging):
    """Through the live server: concurrent signed posts of one MessageSid, only one is acted on."""
    sms.book()
    messaging.settle()
    params = text_params("R", new_sid())
    headers = signed(messaging, INBOUND, params)
    barrier, answers = threading.Barrier(6), []

    def post():
        barrier.wait()
        r = requests.post(messaging.url + INBOUND, data=params, headers=headers, timeout=60)
        answers.append(answer(r))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 6
    assert len([a for a in answers if a and RESCHEDULE_LINK.search(a)]) == 1, answers
    assert answers.count(None) == 5
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(TwilioReceipt)) == 1


def test_a_replayed_status_callback_does_not_opt_the_number_out_again(sms, messaging):
    messaging.twilio.send_callbacks = False
    sms.book()
    messaging.run_jobs()
    row = sms.row(rule="confirmation", channel="sms")
    path = f"{STATUS}?o={row.id}"
    report = {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "21610", "To": UK_PHONE}

    assert messaging.client.post(path, data=report, headers=signed(messaging, path, report)).status_code == 204
    assert sms.phone_state().opted_out
    assert "again" in text_us(messaging, "START", new_sid())
    assert messaging.client.post(path, data=report, headers=signed(messaging, path, report)).status_code == 204
    assert not sms.phone_state().opted_out  # the replayed report was ignored

    delivered = report | {"MessageStatus": "delivered", "ErrorCode": ""}
    assert messaging.client.post(path, data=delivered, headers=signed(messaging, path, delivered)).status_code == 204
    assert sms.row(id=row.id).provider_status == "delivered"  # a new status of the same message is recorded


# --- 18: stale messages after an outage ------------------------------------------------------------------------

VISIT_A = "2027-03-08T09:00:00-05:00"  # Mon 14:00 UTC (booked a week before): 48 h reminder due Sat 14:00 UTC
VISIT_B = "2027-03-15T09:00:00-04:00"  # the Monday after (EDT): 48 h reminder due Sat 13 09:00 EST, 14:00 UTC


def states(sms, appt_id: int) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(rule, channel) -> (status, withdrawn reason) of every message of the visit."""
    return {(r.rule, r.channel): (r.status, r.withdrawn_reason) for r in sms.rows(appointment_id=appt_id)}


def emails_to(messaging, address: str) -> int:
    return len(messaging.smtp.recorder.to(address))


def test_after_an_outage_stale_messages_are_withdrawn_and_timely_ones_sent_once(sms, messaging):
    a, b = sms.book(start=VISIT_A)["id"], sms.book(start=VISIT_B)["id"]
    sms.at("2027-03-08T13:30:00+00:00")  # the jobs were down all week, until 30 minutes before visit A

    result = messaging.run_jobs()["dispatch_outbox"]
    assert result == {"sent": 5, "withdrawn": 2}, result
    assert states(sms, a) == {
        ("confirmation", "email"): ("sent", None),
        ("confirmation", "sms"): ("sent", None),  # late, but still true and useful: the visit is ahead
        ("48h", "email"): ("withdrawn", late.LATE_REMINDER),  # "in two days" with 30 minutes to go: no
        ("48h", "sms"): ("withdrawn", late.LATE_REMINDER),
        ("2h", "sms"): ("sent", None),  # the last reminder (video link) while the visit is ahead
    }
    assert states(sms, b) == {
        ("confirmation", "email"): ("sent", None),
        ("confirmation", "sms"): ("sent", None),
        ("48h", "email"): ("pending", None),
        ("48h", "sms"): ("pending", None),
        ("2h", "sms"): ("pending", None),
    }
    texts = messaging.twilio.bodies_to(UK_PHONE)
    assert len(texts) == 3 and sum("/l/join/" in t for t in texts) == 1 and emails_to(messaging, "pat@example.org") == 2

    assert messaging.run_jobs()["dispatch_outbox"] == {}  # nothing is sent (or withdrawn) twice
    sms.at("2027-03-13T14:00:00+00:00")  # visit B's 48 h reminder, on time
    assert messaging.run_jobs()["dispatch_outbox"] == {"sent": 2}
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 4 and emails_to(messaging, "pat@example.org") == 3
    assert states(sms, a)[("48h", "sms")] == ("withdrawn", late.LATE_REMINDER)


def test_jobs_back_after_the_visit_send_nothing_about_it(sms, messaging, db_url):
    """`flask --app wsgi jobs run-once`, its clock past the visit: every message of it is withdrawn, with why."""
    appt = sms.book(start=VISIT_A)["id"]
    cancelled = sms.book(start="2027-03-08T10:00:00-05:00")["id"]
    sms.act(cancelled, "cancel", {})
    messaging.settle()
    env = jobs_env(db_url, datetime.fromisoformat("2027-03-08T15:30:00+00:00"), messaging.twilio, messaging.smtp)
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-once"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "dispatch_outbox: {'withdrawn': 7}" in done.stdout, done.stdout

    assert states(sms, appt) == {
        ("confirmation", "email"): ("withdrawn", late.LATE_VISIT_STARTED),
        ("confirmation", "sms"): ("withdrawn", late.LATE_VISIT_STARTED),
        ("48h", "email"): ("withdrawn", late.LATE_REMINDER),
        ("48h", "sms"): ("withdrawn", late.LATE_REMINDER),
        ("2h", "sms"): ("withdrawn", late.LATE_VISIT_STARTED),
    }
    assert states(sms, cancelled) == {
        ("confirmation", "email"): ("withdrawn", late.VISIT_CANCELLED),
        ("confirmation", "sms"): ("withdrawn", late.VISIT_CANCELLED),
        ("48h", "email"): ("withdrawn", late.VISIT_CANCELLED),
        ("48h", "sms"): ("withdrawn", late.VISIT_CANCELLED),
        ("2h", "sms"): ("withdrawn", late.VISIT_CANCELLED),
        ("cancelled", "email"): ("withdrawn", late.LATE_VISIT_STARTED),
        ("cancelled", "sms"): ("withdrawn", late.LATE_VISIT_STARTED),
    }
    assert messaging.twilio.requests == [] and emails_to(messaging, "pat@example.org") == 0

    messaging.app.config["DEV_OUTBOX"] = True  # off in the test config unless a test reads it
    page = messaging.client.get("/dev/outbox").get_data(as_text=True)  # the reasons are shown there
    assert page.count(late.LATE_VISIT_STARTED) == 5 and page.count(escape(late.LATE_REMINDER)) == 2


def test_an_offer_is_not_sent_after_its_hold_expired(messaging):
    w, ids = standard(messaging)
    w.cancel(ids["x"])
    messaging.settle()
    assert offer_freed_slots(messaging.app)["offers"] == 3  # offered, then the jobs process went down
    expires = w.offer_of("a").expires_at
    clock.freeze(expires + timedelta(minutes=1))

    messaging.run_jobs()
    offers = [r for r in outbox_rows() if r.rule == "offer"]
    assert len(offers) == 6  # three patients, SMS and email each
    assert {(r.status, r.withdrawn_reason) for r in offers} == {("withdrawn", late.LATE_OFFER_EXPIRED)}
    for key in ("a", "b", "c"):
        assert not w.offer_paths(key) and not [m for m in w.emails(key) if "earlier" in m["Subject"]]


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_deadline_passed_while_a_batch_was_sending_withdraws_the_rest(sms, messaging):
    """The second check, right before each send: a long batch can cross a visit's start."""
    appt = sms.book(start=VISIT_A)["id"]
    start = datetime.fromisoformat(VISIT_A)
    sends_at = iter([start - timedelta(minutes=1), start, start + timedelta(minutes=1)])
    counts = dispatch.dispatch_batch(
        db.session,
        dispatch.senders_from(messaging.app.config),
        settings_from(messaging.app.config),
        now=start - timedelta(minutes=20),
        worker="w",
        clock=lambda: next(sends_at),
    )
    assert counts == {"withdrawn": 4, "sent": 1}, counts  # 48 h x2 at the claim, then two at their send
    found = states(sms, appt)
    assert found.pop(("48h", "email")) == ("withdrawn", late.LATE_REMINDER)
    assert found.pop(("48h", "sms")) == ("withdrawn", late.LATE_REMINDER)
    assert sorted(found.values()) == [("sent", None)] + [("withdrawn", late.LATE_VISIT_STARTED)] * 2
    assert len(messaging.twilio.requests) + emails_to(messaging, "pat@example.org") == 1


# --- 17: the urgent line for where the patient is ------------------------------------------------------------

FLORIDA = "flo@example.org"
RED_FLAG = {"need": "new", "mode": "in_person", "urgent": ["weakness_walking"]}
LINES = {"US": "+1 216 555 0199", "GB": "+44 20 7946 0999", "US-FL": "+1 954 555 0142"}


def urgent_page(client, email: str, **config) -> str:
    """The urgent page a patient reaches after an intake with a red flag (`config`: app settings to use)."""
    client.application.config.update(config)
    w = build(client)
    f.user(FLORIDA, "patient", region="US-FL", name="Flo Florida")
    db.session.commit()
    w.sign_in(email)
    assert w.intake(**RED_FLAG).headers["Location"] == "/urgent"
    return html(client.get("/urgent"))


def test_a_uk_patient_is_told_999_and_given_the_uk_line_in_uk_format(client):
    page = urgent_page(client, LONDON, URGENT_PHONES=LINES, URGENT_PHONE="+1 216 555 0100")
    text = text_of(page)
    assert "Call 999 or go to A&E now." in text and "911" not in text
    assert 'href="tel:+442079460999"' in page and "020 7946 0999" in text  # as UK callers write it
    assert "Calling from abroad: +44 20 7946 0999" in text
    assert "tel:+1" not in page and "216" not in text and "555" not in text  # no US number anywhere


def test_a_us_patient_is_told_911_and_given_the_us_line_in_us_format(client):
    page = urgent_page(client, OHIO, URGENT_PHONES=LINES)
    text = text_of(page)
    assert "Call 911 or go to the nearest emergency department now." in text and "999" not in text
    assert 'href="tel:+12165550199"' in page and "(216) 555-0199" in text
    assert "tel:+44" not in page and "7946" not in text


def test_a_region_s_own_line_wins_over_its_country_s(client):
    page = urgent_page(client, FLORIDA, URGENT_PHONES=LINES)
    assert 'href="tel:+19545550142"' in page and "(954) 555-0142" in text_of(page) and "216" not in page


def test_the_single_old_variable_still_works_for_everyone_in_international_form(client):
    page = urgent_page(client, LONDON, URGENT_PHONES={}, URGENT_PHONE="+1 216 555 0100")
    text = text_of(page)
    assert "Call 999 or go to A&E now." in text  # the emergency advice is always for where they are
    assert 'href="tel:+12165550100"' in page and "+1 216-555-0100" in text and "abroad" not in text
