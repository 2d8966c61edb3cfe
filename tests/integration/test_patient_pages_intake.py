"""The first-visit intake: answers stored; red flags stop routine booking, show the urgent page, open an urgent case."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from televisit import clock
from televisit.domain.errors import Conflict, Forbidden, NotFound
from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.models import Appointment, Intake, UrgentCase, User
from televisit.services.patients.intake import resolve_urgent, urgent_queue
from tests.support.patient_world import LONDON, OHIO, build, html, text_of

NEW = {"need": "new", "mode": "in_person"}


def test_answers_without_red_flags_are_stored_and_lead_to_the_times(client):
    w = build(client)
    w.sign_in(OHIO)
    r = w.intake(**NEW, details="Ache for months", prior_tumor="yes", prior_tumor_details="Breast cancer, 2019")
    assert r.status_code == 302 and r.headers["Location"] == "/find-care?need=new&mode=in_person"
    intake = db.session.scalars(select(Intake)).one()
    assert (intake.patient_id, intake.need, intake.red_flags) == (w.ids["ola"], "new", [])
    assert intake.answers["symptoms"] == ["back_neck_pain", "scan_finding"]
    assert intake.answers["prior_tumor_details"] == "Breast cancer, 2019"
    assert db.session.scalars(select(UrgentCase)).first() is None
    page = html(client.get(r.headers["Location"]))
    assert "Thank you. Here are the first times we can see you." in page and "/find-care/confirm?" in page


def test_an_unknown_need_is_not_stored_and_leads_to_the_empty_search(client):
    w = build(client)
    w.sign_in(OHIO)
    r = w.intake(need="x" * 100, mode="by-pigeon")
    assert r.status_code == 302 and r.headers["Location"] == "/find-care"
    assert db.session.scalars(select(Intake)).one().need is None


def test_missing_answers_are_explained_inline(client):
    w = build(client)
    w.sign_in(OHIO)
    page = html(client.post("/intake", data={"urgent": ["none", "bladder_bowel"], **NEW}), 422)
    assert "You ticked “None of these” and a symptom" in page
    for field in ("symptoms", "since", "course", "daily_life", "prior_tumor", "family_history"):
        assert f'id="{field}-error"' in page
    assert re.search(r'<fieldset class="group invalid" aria-describedby="urgent-hint urgent-error">', page)
    assert page.count(" autofocus") == 1 and re.search(r'id="urgent"[^>]*checked autofocus', page)
    assert 'value="bladder_bowel" checked' in page  # what was ticked stays ticked
    assert db.session.scalars(select(Intake)).first() is None


@pytest.mark.parametrize(
    ("answers", "flag"),
    [
        ({"urgent": ["bladder_bowel"]}, "new loss of bladder or bowel control"),
        ({"urgent": ["weakness_walking"]}, "new weakness or trouble walking"),
        ({"urgent": ["saddle_numbness"]}, "numbness in the saddle area"),
        ({"course": "rapidly_worse", "symptoms": ["numbness"]}, "rapidly worsening pain or numbness"),
    ],
)
def test_each_red_flag_reaches_the_urgent_page_and_the_urgent_queue(client, answers, flag):
    w = build(client)
    client.application.config["URGENT_PHONE"] = "+44 20 7946 0999"
    w.sign_in(LONDON)
    r = w.intake(**answers, **NEW)
    assert r.status_code == 302 and r.headers["Location"] == "/urgent"
    page = html(client.get("/urgent"))
    text = text_of(page)
    assert "Please seek emergency care now" in text and flag in text
    assert "Call 999 or go to A&E now." in text  # a UK patient
    assert 'href="tel:+442079460999"' in page and "+44 20 7946 0999" in text
    (case,) = urgent_queue(db.session)
    assert (case.patient_id, case.status, case.patient.name) == (w.ids["lou"], "open", "Lou London")
    assert flag in [*map(_plain, case.flags)]
    assert case.intake.answers["urgent"] == answers.get("urgent", ["none"])


def _plain(key: str) -> str:
    from televisit.domain.triage import RED_FLAGS

    return RED_FLAGS[key]


def test_an_open_urgent_case_stops_routine_booking_until_a_scheduler_resolves_it(client):
    w = build(client)
    w.sign_in(OHIO)
    w.intake(urgent=["weakness_walking"], **NEW)
    assert "Call 911" in text_of(html(client.get("/urgent")))
    for params in ({}, NEW, {"need": "follow-up", "mode": "virtual"}):
        assert w.search(**params).headers["Location"] == "/urgent"
    form = {**NEW, "clinician": w.ids["okafor"], "location": w.ids["Cleveland"], "start": "2027-03-03T13:00:00+00:00"}
    assert client.post("/find-care/book", data=form).headers["Location"] == "/urgent"
    assert client.get("/find-care/confirm", query_string=form).headers["Location"] == "/urgent"
    assert db.session.scalars(select(Appointment)).first() is None

    (case,) = urgent_queue(db.session)
    scheduler = db.session.scalars(select(User).where(User.role == "scheduler")).first()
    actor = Actor(scheduler.id, "scheduler")
    with pytest.raises(Forbidden):
        resolve_urgent(db.session, case.id, Actor(0, "patient", w.ids["ola"]), clock.now(), "x")
    with pytest.raises(NotFound):
        resolve_urgent(db.session, 999, actor, clock.now(), "x")
    done = resolve_urgent(db.session, case.id, actor, clock.now(), "  Called; seen in ED, MRI booked.  ")
    assert (done.status, done.resolved_at, done.resolved_by_user_id) == ("resolved", clock.now(), scheduler.id)
    assert done.note == "Called; seen in ED, MRI booked."
    with pytest.raises(Conflict):
        resolve_urgent(db.session, case.id, actor, clock.now(), None)
    assert urgent_queue(db.session) == []

    assert "/find-care/confirm?" in html(w.search(**NEW))  # the intake is on file: straight to the times
    assert client.get("/urgent").headers["Location"] == "/find-care"


def test_the_urgent_queue_lists_open_cases_oldest_first(client):
    w = build(client)
    w.sign_in(OHIO)
    w.intake(urgent=["saddle_numbness"])
    clock.freeze(clock.now().replace(minute=5))
    w.sign_in(LONDON)
    w.intake(urgent=["bladder_bowel", "weakness_walking"])
    queue = urgent_queue(db.session)
    assert [c.patient_id for c in queue] == [w.ids["ola"], w.ids["lou"]]
    assert queue[1].flags == ["bladder_bowel", "weakness_walking"]
