"""The desk's alert when an urgent case opens (issue 14), both databases: planned in the outbox with the case,
sent once by the jobs process to TELEVISIT_URGENT_ALERT_EMAIL over a real local SMTP server, with the patient's
name and a link to the queue and nothing clinical; withdrawn when the case was resolved first; kept and sent once
when SMTP was down."""

from __future__ import annotations

from datetime import timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import OutboxMessage, UrgentCase
from televisit.services.messaging.dispatch import backoff
from tests import factories as f
from tests.conftest import NOW
from tests.support.desk_world import sign_in

DESK = "urgent-desk@clinic.example"
RITA = "rita@example.org"
RED_FLAGS = {
    "need": "new",
    "mode": "in_person",
    "urgent": ["bladder_bowel"],
    "symptoms": ["bladder_bowel", "weakness"],
    "since": "days",
    "course": "rapidly_worse",
    "daily_life": "severe",
    "prior_tumor": "no",
    "family_history": "no",
    "details": "I cannot feel my legs properly since last night",
}
CLINICAL = ("bladder", "bowel", "weakness", "legs", "red flag", "red-flag", "symptom", "intake", "check-in", "911")


def _world(messaging, *, alert_to: str | None = DESK):
    f.program()
    f.user(RITA, "patient", region="US-OH", name="Rita Redflag")
    db.session.commit()
    messaging.app.config["URGENT_ALERT_EMAIL"] = alert_to


def _red_flag_intake(messaging) -> UrgentCase:
    client = messaging.client
    client.post("/logout")
    sign_in(client, RITA)
    assert client.post("/intake", data=RED_FLAGS).headers["Location"] == "/urgent"
    client.post("/logout")
    db.session.expire_all()
    return db.session.scalars(select(UrgentCase).order_by(UrgentCase.id.desc())).first()


def _alerts() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule == "urgent-alert")))


def _received(messaging) -> list:
    return messaging.smtp.recorder.to(DESK)


def test_an_urgent_case_emails_the_desk_once_with_a_name_and_a_link_and_nothing_clinical(messaging):
    _world(messaging)
    case = _red_flag_intake(messaging)
    (row,) = _alerts()
    assert (row.key, row.status, row.channel, row.patient_id) == (
        f"urgent{case.id}:alert:email",
        "pending",
        "email",
        case.patient_id,
    )
    assert _received(messaging) == []  # the page only planned it: the jobs process sends

    messaging.run_jobs()
    (email,) = _received(messaging)
    assert email["Subject"] == "Urgent case waiting in the desk's queue"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    link = f"{messaging.url}/schedule/urgent#case-{case.id}"
    assert "Patient: Rita Redflag" in text and link in text and f'href="{link}"' in html
    for body in (text, html, email["Subject"]):
        leaked = [word for word in CLINICAL if word in body.lower()]
        assert leaked == [], leaked
    assert _alerts()[0].status == "sent" and _alerts()[0].to_address == DESK

    messaging.run_jobs()  # later runs never send it again
    messaging.run_jobs()
    assert len(_received(messaging)) == 1


def test_a_case_resolved_before_the_jobs_ran_is_not_alerted(messaging):
    _world(messaging)
    case = _red_flag_intake(messaging)
    sign_in(messaging.client, "scheduler")
    r = messaging.client.post(f"/schedule/urgent/{case.id}/resolve", data={"note": "Called at once; going to the ED"})
    assert r.status_code == 302
    messaging.run_jobs()
    (row,) = _alerts()
    assert (row.status, row.withdrawn_reason) == ("withdrawn", "the urgent case was resolved before the alert went out")
    assert _received(messaging) == []


def test_no_address_configured_plans_no_alert(messaging):
    _world(messaging, alert_to=None)
    case = _red_flag_intake(messaging)
    assert case.status == "open" and _alerts() == []


def test_smtp_down_the_alert_waits_and_arrives_once_when_it_is_back(messaging):
    _world(messaging)
    messaging.smtp.stop()
    _red_flag_intake(messaging)
    messaging.run_jobs()
    (row,) = _alerts()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, NOW + backoff(1))

    smtp = messaging.smtp
    smtp.controller = Controller(smtp.recorder, hostname="127.0.0.1", port=smtp.port)
    smtp.controller.start()
    clock.freeze(NOW + backoff(1))
    messaging.run_jobs()
    assert _alerts()[0].status == "sent" and len(_received(messaging)) == 1
    clock.freeze(NOW + timedelta(hours=1))
    messaging.run_jobs()
    assert len(_received(messaging)) == 1
