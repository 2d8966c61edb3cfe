"""The clinician's day and week (both databases): any day by `?date=`, a Monday-to-Sunday week, each visit on its
site's clock with the patient's own beside it where it differs, across the spring DST changes of New York
(Sun 14 Mar 2027) and London (Sun 28 Mar 2027); the patient's reason and intake answers for the clinicians
attending the visit only, each view audited; no-show and end visit only after their confirmation step."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from televisit import clock
from televisit.domain.roles import Actor
from televisit.domain.triage import IntakeAnswers
from televisit.extensions import db, socketio
from televisit.models import AuditEvent, AvailabilityRule, Clinician, User, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.pathways import itineraries
from televisit.services.pathways.demo import JOINT
from televisit.services.patients import intake
from tests import factories as f
from tests.integration.test_care_patient_pages import _clinician_user, _staff_day
from tests.support.desk_world import appointment, page, sign_in
from tests.support.patient_world import LONDON, build

SUNDAY = 6
ANSWERS = IntakeAnswers(
    symptoms=("back_neck_pain", "numbness"),
    urgent=("none",),
    since="months",
    course="slowly_worse",
    daily_life="moderate",
    prior_tumor="yes",
    family_history="no",
    details="Aching between the shoulder blades at night.",
    prior_tumor_details="Thyroid, 2019",
)


def text_of(html: str) -> str:
    """The page's words, tags out, whitespace (Babel's narrow no-break space too) collapsed."""
    words = re.sub(r"<[^>]+>", lambda tag: "" if tag[0] == "</time>" else " ", html)  # "9:00 AM</time>–10:00 AM"
    return " ".join(words.replace("\u202f", " ").split())


def day_of_week(html: str, day: str) -> str:
    """The words of one day's column of the week page."""
    return text_of(html.split(f'id="week-{day}"', 1)[1].split("</section>", 1)[0])


def _book(client, p, who: str, start: str, *, doc=None, mode: str = "in_person", reason: str | None = None) -> int:
    """Book through the API as the scheduler (the patient's reason too); returns the appointment id."""
    doc = doc or p.us_doc
    loc = p.cleveland if doc is p.us_doc else p.london
    body = {"visit_type_id": p.consult.id, "clinician_id": doc.id, "location_id": loc.id, "mode": mode, "start": start}
    body |= {"patient_id": p.users[who].patient_id, "patient_region": "US-OH" if doc is p.us_doc else "GB"}
    if reason:
        body["reason"] = reason
    r = client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    return r.json["id"]


def _sundays(doc, loc) -> None:
    """The clinician also holds clinic on Sundays 09:00-12:00 (to see a visit on each DST change's own day)."""
    doc.rules.append(
        AvailabilityRule(location_id=loc.id, weekday=SUNDAY, start_minute=540, end_minute=720, modes=["in_person"])
    )
    db.session.commit()


def _events_since(mark: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > mark).order_by(AuditEvent.id)))


def _mark() -> int:
    db.session.commit()
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


# --- the day -----------------------------------------------------------------------------------------------


def test_any_day_by_date_with_previous_and_next_and_the_patients_own_clock(client):
    p = f.program()
    _book(client, p, "patient", "2027-03-08T10:00:00-05:00", reason="Second opinion on my MRI")  # a London patient
    _book(client, p, "other", "2027-03-08T11:00:00-05:00")  # an Ohio patient: one clock
    sign_in(client, "clinician")
    day = text_of(page(client.get("/clinic/today", query_string={"date": "2027-03-08"})))
    assert "Clinic on Mon, Mar 8, 2027" in day
    assert "10:00 AM EST–11:00 AM EST 3:00 PM for the patient in London pat" in day
    assert "Reason: Second opinion on my MRI" in day
    assert "11:00 AM EST–12:00 PM EST other" in day and "for the patient in New York" not in day
    uk = text_of(page(client.get("/clinic/today?date=2027-03-08", headers={"Accept-Language": "en-GB"})))
    assert "10:00 EST–11:00 EST 15:00 for the patient in London pat" in uk  # a 24-hour reader: both clocks
    html = page(client.get("/clinic/today", query_string={"date": "2027-03-08"}))
    assert 'href="/clinic/today?date=2027-03-07"' in html and 'href="/clinic/today?date=2027-03-09"' in html
    assert 'href="/clinic/week?date=2027-03-08"' in html and 'type="date" value="2027-03-08"' in html
    tuesday = text_of(page(client.get("/clinic/today", query_string={"date": "2027-03-09"})))
    assert "No clinic that day" in tuesday and "pat" not in tuesday.split("Clinic on")[1].split("No clinic")[0]


@pytest.mark.parametrize("raw", ["2027-02-30", "tomorrow", "0001-01-01", "9999-12-31", "2027-3-8"])
def test_a_date_that_cannot_be_read_gets_a_sentence_not_an_error(client, raw):
    f.program()
    sign_in(client, "clinician")
    for path, instead in (("/clinic/today", "today's clinic"), ("/clinic/week", "this week")):
        html = text_of(page(client.get(path, query_string={"date": raw}), 422))
        assert f"We couldn't read “{raw}” as a date." in html and f"Here is {instead} instead." in html
        assert "date:" not in html  # no field key


# --- the week, across the DST changes -----------------------------------------------------------------------


def test_the_week_runs_monday_to_sunday_across_new_yorks_dst_change(client):
    p = f.program()
    _sundays(p.us_doc, p.cleveland)
    _book(client, p, "patient", "2027-03-08T09:00:00-05:00")  # Mon, EST: London is 5 hours ahead
    _book(client, p, "patient", "2027-03-14T10:00:00-04:00")  # Sun 14 Mar, the first EDT day: 4 hours ahead
    _book(client, p, "other", "2027-03-15T09:00:00-04:00")  # the next Monday: another week
    sign_in(client, "clinician")
    html = page(client.get("/clinic/week", query_string={"date": "2027-03-11"}))  # any day of it
    week = text_of(html)
    assert "Your week Mon, Mar 8 – Sun, Mar 14, 2027" in week and "2 visits" in week
    monday = day_of_week(html, "2027-03-08")
    assert "9:00 AM EST–10:00 AM EST 2:00 PM for the patient in London pat" in monday
    assert all("pat" not in day_of_week(html, f"2027-03-{d:02}") for d in range(9, 14))
    sunday = day_of_week(html, "2027-03-14")
    assert "10:00 AM EDT–11:00 AM EDT 2:00 PM for the patient in London pat" in sunday
    assert "Cleveland: 09:00–12:00 (In person)" in sunday  # the site's hours that day, on its new clock
    assert "other" not in week.split("Your week")[1]
    assert 'href="/clinic/week?date=2027-03-01"' in html and 'href="/clinic/week?date=2027-03-15"' in html
    assert 'href="/clinic/today?date=2027-03-14"' in html  # each day opens its day view
    after = text_of(page(client.get("/clinic/week", query_string={"date": "2027-03-15"})))
    assert "9:00 AM EDT–10:00 AM EDT other" in after and "for the patient in" not in after


def test_the_week_of_londons_dst_change_on_both_clocks(client):
    p = f.program()
    f.user("lon@example.org", "clinician")
    _sundays(p.uk_doc, p.london)
    _book(client, p, "other", "2027-03-22T10:00:00+00:00", doc=p.uk_doc)  # Mon, GMT; New York already on EDT
    _book(client, p, "other", "2027-03-28T10:00:00+01:00", doc=p.uk_doc)  # Sun 28 Mar, the first BST day
    sign_in(client, "lon@example.org")
    week = text_of(page(client.get("/clinic/week", query_string={"date": "2027-03-28"})))
    assert "Mon, Mar 22 – Sun, Mar 28, 2027" in week
    assert "10:00 AM GMT–11:00 AM GMT 6:00 AM for the patient in New York other" in week
    assert "10:00 AM BST–11:00 AM BST 5:00 AM for the patient in New York other" in week
    day = text_of(page(client.get("/clinic/today", query_string={"date": "2027-03-28"})))
    assert "10:00 AM BST–11:00 AM BST 5:00 AM for the patient in New York" in day


def test_the_patients_clock_names_the_day_when_it_is_another_day_there(client):
    p = f.program()
    p.users["far"] = f.user("far@example.org", "patient", tz="Asia/Tokyo", region="US-OH")
    _book(client, p, "far", "2027-03-08T11:00:00-05:00")  # 01:00 on Tuesday in Tokyo
    sign_in(client, "clinician")
    day = text_of(page(client.get("/clinic/today", query_string={"date": "2027-03-08"})))
    assert "1:00 AM on Tue, Mar 9 for the patient in Tokyo" in day


# --- the reason and intake answers: attending clinicians only, audited ----------------------------------------


def test_the_intake_answers_are_for_the_attending_clinician_only_and_each_view_is_audited(client):
    p = f.program()
    f.user("lon@example.org", "clinician")
    appt = _book(client, p, "patient", "2027-03-08T10:00:00-05:00", reason="Numb fingers since January")
    intake.submit(db.session, p.users["patient"].patient_id, ANSWERS, need="first_consultation", now=clock.now())
    sign_in(client, "clinician")
    day = page(client.get("/clinic/today", query_string={"date": "2027-03-08"}))
    assert f'href="/clinic/visits/{appt}"' in day and "Aching between" not in day  # answers: on the visit page
    mark = _mark()
    visit = text_of(page(client.get(f"/clinic/visits/{appt}")))
    assert "Reason for the visit Numb fingers since January" in visit
    assert "What symptoms or findings bring you to us? Back or neck pain; Numbness or tingling" in visit
    assert "Tell us more Aching between the shoulder blades at night." in visit
    assert "If yes: what kind, and when? Thyroid, 2019" in visit and "Answered Mon, Mar 1, 2027" in visit
    assert "3:00 PM for the patient in London" in visit
    (read,) = _events_since(mark)
    assert (read.action, read.object_type, read.object_id, read.outcome) == ("intake.read", "appointment", appt, 200)
    assert read.patient_id == p.users["patient"].patient_id and read.user_id == p.users["clinician"].id

    client.post("/logout")
    sign_in(client, "lon@example.org")  # a clinician, but not of this visit
    mark = _mark()
    refused = page(client.get(f"/clinic/visits/{appt}"), 403)
    assert "Only the clinicians attending this visit" in refused and "Thyroid" not in refused
    assert "Numb fingers" not in page(client.get("/clinic/week", query_string={"date": "2027-03-08"}))
    (denied, _week) = _events_since(mark)
    assert (denied.action, denied.outcome, denied.patient_id) == ("intake.read", 403, p.users["patient"].patient_id)
    page(client.get("/clinic/visits/999999"), 404)


def test_a_visit_without_intake_or_reason_says_so(client):
    p = f.program()
    appt = _book(client, p, "other", "2027-03-08T10:00:00-05:00")
    sign_in(client, "clinician")
    visit = text_of(page(client.get(f"/clinic/visits/{appt}")))
    assert "The patient gave no reason when booking." in visit
    assert "No intake answers: the patient has not answered the first-visit questions." in visit


def test_red_flags_are_named_above_the_answers(client):
    p = f.program()
    appt = _book(client, p, "other", "2027-03-08T10:00:00-05:00")
    flagged = IntakeAnswers(**{**ANSWERS.__dict__, "urgent": ("weakness_walking",)})
    intake.submit(db.session, p.users["other"].patient_id, flagged, need="first_consultation", now=clock.now())
    sign_in(client, "clinician")
    visit = text_of(page(client.get(f"/clinic/visits/{appt}")))
    assert "Red flags raised: new weakness or trouble walking" in visit
    assert "New weakness in your legs or arms, or new trouble walking" in visit


# --- no-show and end visit: a confirmation step first ------------------------------------------------------


def _started(appt_id: int, minutes: int = 5) -> None:
    clock.freeze(appointment(appt_id).start_at + timedelta(minutes=minutes))


def test_no_show_asks_first_and_nothing_happens_without_the_confirm_button(client):
    p = f.program()
    appt = _book(client, p, "other", "2027-03-08T10:00:00-05:00", mode="virtual")
    sign_in(client, "clinician")
    early = text_of(page(client.get(f"/clinic/visits/{appt}/no-show")))
    assert "This can't be done now. A no-show can be recorded from the start time on." in early
    assert "Yes, mark as a no-show" not in early
    assert "Mark as no-show" not in text_of(page(client.get(f"/clinic/visits/{appt}")))
    _started(appt)
    assert f'href="/clinic/visits/{appt}/no-show"' in page(client.get(f"/clinic/visits/{appt}"))
    ask = text_of(page(client.get(f"/clinic/visits/{appt}/no-show")))
    assert "Mark other as a no-show?" in ask and "Yes, mark as a no-show" in ask and "No, go back" in ask
    for form in ({}, {"confirm": "no"}, {"confirm": ""}):
        again = text_of(page(client.post(f"/clinic/visits/{appt}/no-show", data=form), 400))
        assert "Nothing was changed." in again
        assert appointment(appt).status == "booked"
    r = client.post(f"/clinic/visits/{appt}/no-show", data={"confirm": "yes"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/clinic/today?date=2027-03-08")
    assert appointment(appt).status == "no_show"
    assert "Marked other as a no-show." in text_of(page(client.get(r.headers["Location"])))
    twice = text_of(page(client.post(f"/clinic/visits/{appt}/no-show", data={"confirm": "yes"}), 409))
    assert "This appointment is no show." in twice


def test_end_visit_asks_first_then_ends_it_for_everyone_in_the_room(app, client):
    p = f.program()
    appt = _book(client, p, "other", "2027-03-08T10:00:00-05:00", mode="virtual")
    _started(appt, minutes=-5)
    patient = socketio.test_client(
        app, namespace="/waiting-room", auth={"token": _bearer(client, "other")}, flask_test_client=client
    )
    ack = patient.emit(
        "check_in",
        {"appointment_id": appt, "region": "US-OH", "consent": True},
        namespace="/waiting-room",
        callback=True,
    )
    assert ack["ok"] is True, ack
    sign_in(client, "clinician")
    assert "This can't be done now. The visit has not started yet." in text_of(
        page(client.get(f"/clinic/visits/{appt}/end"))
    )
    db.session.commit()
    appointment(appt).status = "in_visit"  # admitted in the waiting room
    db.session.commit()
    ask = text_of(page(client.get(f"/clinic/visits/{appt}/end")))
    assert "End the visit with other?" in ask and "Yes, end the visit" in ask
    page(client.post(f"/clinic/visits/{appt}/end"), 400)
    assert appointment(appt).status == "in_visit"
    patient.get_received("/waiting-room")
    r = client.post(f"/clinic/visits/{appt}/end", data={"confirm": "yes"})
    assert r.status_code == 302 and appointment(appt).status == "completed"
    heard = [m for m in patient.get_received("/waiting-room") if m["name"] == "visit_ended"]
    assert heard and heard[0]["args"][0] == {"appointment_id": appt, "status": "completed"}
    patient.disconnect("/waiting-room")


def test_only_the_visits_clinicians_can_mark_it(client):
    p = f.program()
    f.user("lon@example.org", "clinician")
    appt = _book(client, p, "other", "2027-03-08T10:00:00-05:00", mode="virtual")
    _started(appt)
    sign_in(client, "lon@example.org")
    page(client.get(f"/clinic/visits/{appt}/no-show"), 403)
    page(client.post(f"/clinic/visits/{appt}/no-show", data={"confirm": "yes"}), 403)
    assert appointment(appt).status == "booked"


def _bearer(client, who: str) -> str:
    email = {"other": "other@example.org", "patient": "pat@example.org"}[who]
    return f.token(client, email)["Authorization"].split()[1]


# --- joint visits and the rest of a clinic-day patient's day, on the week and the visit page ----------------------


def test_a_joint_visits_partner_sees_it_in_the_week_and_reads_the_answers_a_stranger_does_not(client):

    w = build(client)
    joint = db.session.scalars(select(VisitType).where(VisitType.name == JOINT)).one()
    start = datetime.fromisoformat("2027-03-10T14:00:00+00:00")  # Wed 09:00 EST
    req = SlotRequest(joint.id, w.ids["okafor"], w.ids["Cleveland"], "in_person", start, "US-OH")
    desk = db.session.scalars(select(User).where(User.role == "scheduler")).first()
    appt = booking.book(
        db.session,
        booking.BookingRequest(req, w.ids["ola"], "Which treatment first?"),
        actor=Actor(desk.id, "scheduler"),
        now=clock.now(),
    )
    intake.submit(db.session, w.ids["ola"], ANSWERS, need="second_opinion", now=clock.now())
    partner = db.session.get(Clinician, appt.attending_ids[1])
    stranger = db.session.scalars(select(Clinician).where(Clinician.id.not_in(appt.attending_ids))).first()
    for doc in (partner, stranger):
        if db.session.scalars(select(User).where(User.email == doc.email)).first() is None:
            f.user(doc.email, "clinician")
    appt_id = appt.id
    w.sign_in(partner.email)
    html = page(client.get("/clinic/week", query_string={"date": "2027-03-10"}))
    wednesday = day_of_week(html, "2027-03-10")
    assert "Ola Ohio" in wednesday and "(joint visit, with Dr. Amara Okafor)" in wednesday
    assert "Reason: Which treatment first?" in wednesday
    visit = text_of(page(client.get(f"/clinic/visits/{appt_id}")))
    assert f"Clinicians Dr. Amara Okafor and {partner.name} (joint visit)" in visit
    assert "Aching between the shoulder blades at night." in visit
    w.sign_in(stranger.email)
    assert "Aching" not in page(client.get(f"/clinic/visits/{appt_id}"), 403)
    assert "Ola Ohio" not in page(client.get("/clinic/week", query_string={"date": "2027-03-10"}))


def test_a_clinic_day_step_shows_the_rest_of_the_patients_day_in_the_week_and_on_the_visit(client):

    w = build(client)
    w.sign_in(LONDON)
    w.intake()
    it = _staff_day(w, first=datetime.fromisoformat("2027-03-08").date())
    steps = itineraries.steps_of(db.session, it.id)
    doc = db.session.get(Clinician, steps[2].clinician_id)
    day = steps[2].start_at.astimezone(clock.now().tzinfo).date().isoformat()
    w.sign_in(_clinician_user(doc))
    html = page(client.get("/clinic/week", query_string={"date": day}))
    column = " ".join(day_of_week(html, d) for d in re.findall(r'id="week-([0-9-]+)"', html))
    assert "Lou London" in column and "Rest of the patient's day:" in column
    assert re.search(r"\d+:\d\d AM EST · Whole-spine MRI with Dr\. Grace Kim", column), column
    visit = text_of(page(client.get(f"/clinic/visits/{steps[2].id}")))
    assert "Rest of the patient's day:" in visit and "Whole-spine MRI with Dr. Grace Kim" in visit
    assert "Back or neck pain; Something found on a scan, without symptoms" in visit  # Lou's own intake
