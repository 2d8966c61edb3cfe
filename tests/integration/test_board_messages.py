"""What a patient hears of the tumor board, through the jobs process, the fake Twilio and a real SMTP server
(both databases): when an outcome names a pathway, one neutral message ("your care team has reviewed your case
and has a plan for you; book here or call us") with a link into booking that pathway and the number to call,
once per channel, ever. Never the question, the recommendation, the pathway's name or a clinical word. Nothing
before review (so a move or removal before review has nothing to withdraw); withdrawn when the patient's day
of that pathway is booked before the jobs come to the message."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import OutboxMessage, Pathway
from televisit.services.messaging import plans
from tests import factories as f
from tests.conftest import UK_PHONE, US_PHONE
from tests.integration.test_sms_content import assert_discreet, clinical_names  # noqa: F401  (a fixture)
from tests.support.mailparts import text_of

QUESTION = "Glioma of T7 with cord compression: separation surgery before SBRT?"
RECOMMENDATION = (
    "Separation surgery by Dr. Hadley Okafor, then spine radiosurgery 24 Gy in 2 fractions; MRI at 6 weeks."
)
LEAKS = (QUESTION, RECOMMENDATION, "Spine surgery day", "separation", "SBRT", "glioma")


@pytest.fixture
def board(sms, messaging, clinical_names):  # noqa: F811
    """A board on the SMS world's program (Cleveland, Mondays 10:00), Dr. Okafor a member, two pathways."""
    p, client = sms.p, messaging.client
    day = Pathway(name="Spine surgery day", steps=[{"visit_type_id": p.consult.id}], min_gap_minutes=0,
                  max_gap_minutes=60, self_bookable=True)  # fmt: skip
    course = Pathway(name="Spine radiosurgery planning", steps=[{"visit_type_id": p.consult.id}],
                     min_gap_minutes=0, max_gap_minutes=60, self_bookable=False)  # fmt: skip
    db.session.add_all([day, course])
    db.session.commit()
    admin = f.token(client, "admin@example.org")
    body = {"name": "Spine tumor board", "location_id": p.cleveland.id, "weekday": 1, "start": "07:30"}
    body |= {"duration_minutes": 90, "capacity": 10, "member_ids": [p.us_doc.id]}
    r = client.post("/api/v1/boards", json=body, headers=admin)
    assert r.status_code == 201, r.json
    headers = {"desk": f.token(client, "sched@example.org"), "member": f.token(client, "cle@example.org")}
    return {"id": r.json["id"], "day": day.id, "course": course.id, "headers": headers}


def _list(messaging, sms, board, who="patient", **extra) -> dict:
    pid = sms.p.users[who].patient_id
    body = {"patient_id": pid, "question": QUESTION, "presenter_id": sms.p.us_doc.id, **extra}
    r = messaging.client.post(f"/api/v1/boards/{board['id']}/cases", json=body, headers=board["headers"]["desk"])
    assert r.status_code == 201, r.json
    return r.json


def _outcome(messaging, board, case_id, pathway_id=None, status=200):
    body = {"recommendation": RECOMMENDATION} | ({"pathway_id": pathway_id} if pathway_id else {})
    r = messaging.client.post(f"/api/v1/board-cases/{case_id}/outcome", json=body, headers=board["headers"]["member"])
    assert r.status_code == status, r.json
    return r.json


def _no_leak(text: str, leaks=LEAKS) -> None:
    lowered = text.lower()
    assert not [w for w in leaks if w.lower() in lowered], text


def test_a_plan_reaches_the_patient_once_as_a_neutral_sms_and_email_with_a_booking_link(sms, messaging, board):
    public = messaging.app.config["PUBLIC_URL"]
    case = _list(messaging, sms, board)
    _outcome(messaging, board, case["id"], board["day"])
    planned = sms.rows(rule="board-plan")
    assert sorted(r.channel for r in planned) == ["email", "sms"]
    messaging.run_jobs()
    messaging.run_jobs()  # a second pass sends nothing again
    (body,) = messaging.twilio.bodies_to(UK_PHONE)
    link = f"{public}/find-care/days/times?pathway={board['day']}"
    assert body == (
        "Televisit Health: Your care team has reviewed your case and has a plan for you. "
        f"Book here or call us: {link} +1 216-555-0100"
    )
    assert_discreet(body)
    _no_leak(body)
    (mail,) = messaging.smtp.recorder.to("pat@example.org")
    assert mail["Subject"] == "Your care team has a plan for you"
    text, html = text_of(mail, "text/plain"), text_of(mail, "text/html")
    assert link in text and "+1 216-555-0100" in text and 'href="tel:+12165550100"' in html
    _no_leak(text + html)
    assert_discreet(text)
    _outcome(messaging, board, case["id"], board["day"], status=409)  # the outcome is recorded once
    messaging.run_jobs()
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 1 and len(sms.rows(rule="board-plan", status="sent")) == 2


def test_a_plan_the_care_team_books_links_to_the_call_us_page_in_the_patients_own_number_form(sms, messaging, board):
    case = _list(messaging, sms, board, who="other")  # in Ohio: the number in US national form
    _outcome(messaging, board, case["id"], board["course"])
    messaging.run_jobs()
    (body,) = messaging.twilio.bodies_to(US_PHONE)
    match = re.search(r"Book here or call us: (\S+) (.+)$", body)
    assert match and match.group(2) == "(216) 555-0100", body
    assert match.group(1) == f"{messaging.app.config['PUBLIC_URL']}/care-plan"
    page = messaging.client.get("/care-plan")
    assert page.status_code == 200 and b"+1 216-555-0100" in page.data and b"tel:+12165550100" in page.data
    _no_leak(page.get_data(as_text=True))


def test_an_outcome_without_a_pathway_tells_the_patient_nothing(sms, messaging, board):
    case = _list(messaging, sms, board)
    _outcome(messaging, board, case["id"])
    messaging.run_jobs()
    assert sms.rows(rule="board-plan") == [] and messaging.twilio.bodies_to(UK_PHONE) == []


def test_listing_moving_and_removing_before_review_plan_no_message_at_all(sms, messaging, board):
    case = _list(messaging, sms, board)
    other = _list(messaging, sms, board)
    desk = board["headers"]["desk"]
    assert messaging.client.post(f"/api/v1/board-cases/{case['id']}/move", json={"date": "2027-03-16"},
                                 headers=desk).status_code == 200  # fmt: skip
    assert messaging.client.post(f"/api/v1/board-cases/{other['id']}/remove", headers=desk).status_code == 200
    messaging.run_jobs()
    assert sms.rows() == [] and messaging.twilio.bodies_to(UK_PHONE) == []


def test_a_plan_booked_before_the_jobs_send_it_is_withdrawn(sms, messaging, board):
    case = _list(messaging, sms, board, who="other")
    _outcome(messaging, board, case["id"], board["day"])
    client, desk = messaging.client, board["headers"]["desk"]
    q = {"from": "2027-03-08", "to": "2027-03-08", "location_id": sms.p.cleveland.id, "patient_region": "US-OH"}
    option = client.get(f"/api/v1/pathways/{board['day']}/options", query_string=q).json["options"][0]
    steps = [{k: s[k] for k in ("start", "clinician_id", "location_id", "mode")} for s in option["steps"]]
    body = {"pathway_id": board["day"], "patient_id": sms.p.users["other"].patient_id, "steps": steps}
    assert client.post("/api/v1/itineraries", json=body, headers=desk).status_code == 201
    messaging.run_jobs()
    plan_rows = sms.rows(rule="board-plan")
    assert {(r.status, r.withdrawn_reason) for r in plan_rows} == {("withdrawn", plans.BOOKED)}
    assert not any("plan for you" in b for b in messaging.twilio.bodies_to(US_PHONE))


def test_the_patient_never_sees_the_case_on_their_pages_or_the_api(sms, messaging, board):
    case = _list(messaging, sms, board)
    _outcome(messaging, board, case["id"], board["day"])
    client = messaging.client
    patient = f.token(client, "pat@example.org")
    assert client.get(f"/api/v1/board-cases/{case['id']}", headers=patient).status_code == 403
    assert client.get(f"/api/v1/boards/{board['id']}/cases?date={case['date']}", headers=patient).status_code == 403
    client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    for page in ("/appointments", "/find-care", "/find-care/days", f"/find-care/days/times?pathway={board['day']}"):
        r = client.get(page, follow_redirects=True)
        assert r.status_code == 200, page
        _no_leak(r.get_data(as_text=True), (QUESTION, RECOMMENDATION))  # the pathways' names are the catalog
    db.session.expire_all()
    assert db.session.scalars(select(OutboxMessage.body_text)).all() == [None, None]  # nothing rendered yet
