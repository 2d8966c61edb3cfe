"""A patient checking in for a video visit first confirms no new red-flag symptoms since booking (issue 14), over
Socket.IO on a live server, both databases: "yes" opens an urgent case (with the desk's alert), refuses the
check-in and leads to the urgent page with the numbers for where the patient says they are; "no" checks in."""

from __future__ import annotations

import html
import re

import pytest
import requests
from sqlalchemy import select

from televisit import clock
from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.models import OutboxMessage, UrgentCase
from televisit.services.urgent import cases
from tests.support.waiting_world import live_server, world

DESK = "urgent-desk@clinic.example"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request):
    with live_server(request.param, extra_env={"TELEVISIT_URGENT_ALERT_EMAIL": DESK}) as servers:
        yield servers[0]


@pytest.fixture
def w(live):
    yield from world(live)


def _cases() -> list[UrgentCase]:
    db.session.expire_all()
    found = list(db.session.scalars(select(UrgentCase).order_by(UrgentCase.id)))
    db.session.commit()  # end the read: on SQLite an open transaction would hold the server's writes
    return found


def _page(w, path: str) -> tuple[int, str]:
    r = requests.get(f"{w.server.url}{path}", timeout=10, allow_redirects=False)
    return r.status_code, html.unescape(r.text) if r.status_code == 200 else r.headers.get("Location", "")


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace(" .", ".")


def test_yes_opens_an_urgent_case_refuses_check_in_and_leads_to_the_urgent_page(w):
    a = w.book("ada", "09:30")
    peer = w.join_peer(a)
    ack = peer.call("precheck", {"appointment_id": a, "region": "US-OH", "consent": True, "new_symptoms": True})
    assert ack["ok"] is True and ack["urgent"] is True and "can't check in" in ack["message"]
    (case,) = _cases()
    assert (case.source, case.appointment_id, case.intake_id, case.status) == ("check_in", a, None, "open")
    assert case.flags == ["new_since_booking"] and case.patient_id == w.ids["ada"]
    alert = db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule == "urgent-alert")).one()
    assert alert.key == f"urgent{case.id}:alert:email" and DESK in alert.payload
    db.session.commit()

    refused = peer.call("check_in", {"appointment_id": a})
    assert refused["ok"] is False and refused["error"]["code"] == "urgent"
    assert w.appointment(a)["status"] == "booked" and w.appointment(a).get("checked_in_at") is None
    again = peer.call("precheck", {"appointment_id": a, "region": "US-OH", "consent": True, "new_symptoms": True})
    assert again["urgent"] is True and len(_cases()) == 1  # one open case per visit, however often asked

    status, page = _page(w, f"/waiting-room/{a}/urgent?join={w.join_token(a)}")
    assert status == 200
    text = _text(page)
    assert "Call 911 or go to the nearest emergency department now." in text
    assert "911 is the emergency number in the United States." in text
    assert "Our urgent line in the United States" in text and 'href="tel:+12165550199"' in page
    assert "we have not checked you in for your video visit" in text


def test_where_the_patient_says_they_are_names_that_countrys_numbers(w):
    a = w.book("bob", "09:30")
    peer = w.join_peer(a)
    ack = peer.call("precheck", {"appointment_id": a, "region": "GB", "consent": True, "new_symptoms": True})
    assert ack["urgent"] is True
    status, page = _page(w, f"/waiting-room/{a}/urgent?join={w.join_token(a)}")
    assert status == 200 and "Call 999 or go to A&E now." in _text(page)
    assert "Our urgent line in the United Kingdom" in _text(page) and 'href="tel:+442079460999"' in page
    assert "020 7946 0999" in page and "911" not in page


def test_no_checks_in_as_before_and_opens_nothing(w):
    a = w.book("cy", "09:30")
    peer = w.peer("cy")
    ack = peer.call("precheck", {"appointment_id": a, "region": "US-OH", "consent": True, "new_symptoms": False})
    assert ack == {"ok": True, "licensed": True, "message": "You're all set."}
    assert peer.call("check_in", {"appointment_id": a})["ok"] is True
    assert _cases() == [] and w.appointment(a)["status"] == "checked_in"
    status, where = _page(w, f"/waiting-room/{a}/urgent?join={w.join_token(a)}")
    assert status == 302 and where.endswith(f"/waiting-room/{a}?join={w.join_token(a)}")  # no case: the room


def test_an_answer_that_is_not_yes_or_no_is_refused_in_words(w):
    a = w.book("dee", "09:30")
    peer = w.peer("dee")
    ack = peer.call("precheck", {"appointment_id": a, "region": "US-OH", "consent": True, "new_symptoms": "yes"})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert ack["error"]["message"] == "Please answer whether you have had any of these symptoms."
    assert _cases() == []


def test_once_the_desk_resolves_the_case_the_patient_can_check_in(w):
    a = w.book("eve", "09:30")
    peer = w.peer("eve")
    peer.call("precheck", {"appointment_id": a, "region": "US-OH", "consent": True, "new_symptoms": True})
    assert peer.call("check_in", {"appointment_id": a})["error"]["code"] == "urgent"
    (case,) = _cases()
    cases.resolve_urgent(db.session, case.id, w.scheduler, clock.now(), "Called: a fall last week, no new symptoms")
    db.session.commit()
    assert peer.call("check_in", {"appointment_id": a})["ok"] is True
    assert w.appointment(a)["status"] == "checked_in"
    assert isinstance(w.scheduler, Actor)
