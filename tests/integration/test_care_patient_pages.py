"""Clinic days and courses on the patient's pages (both databases): book a second-opinion day from find care,
each step on the patient's clock first and the site's second (named by city); a day is ONE itinerary on My
appointments, with what to bring for an MRI, one calendar file and "cancel the whole day"; a course is one card.
The clinician's schedule shows the joint visits they attend and the rest of their patient's day."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from televisit import clock
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.models import Appointment, Clinician, Itinerary, OutboxMessage, Pathway, User, VisitType
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.pathways import courses, itineraries
from televisit.services.pathways.demo import JOINT, METASTASIS_DAY, RADIOSURGERY, SECOND_OPINION_DAY
from televisit.services.pathways.options import OptionsQuery, day_options
from televisit.services.seed import DEMO_PASSWORD
from tests import factories as f
from tests.support.patient_world import LONDON, OHIO, OKAFOR, build, html, text_of

OWN_FIRST = re.compile(r"\d\d:\d\d your time \((\d\d:\d\d) in Cleveland\)")
MRI_NOTE = "Please arrive 15 minutes early; leave metal objects at home; bring any previous scans."


@pytest.fixture
def world(client):
    w = build(client)
    w.sign_in(LONDON)
    w.intake()  # Lou has answered the first-visit questions (no red flags)
    return w


def _pathway(name: str) -> Pathway:
    return db.session.scalars(select(Pathway).where(Pathway.name == name)).one()


def _desk() -> Actor:
    sched = db.session.scalars(select(User).where(User.role == "scheduler")).first()
    return Actor(sched.id, "scheduler")


def _steps(option) -> list[itineraries.StepRequest]:
    return [
        itineraries.StepRequest(s.start, s.clinician_id, s.location_id, s.mode, s.clinician_ids or None, s.resource_ids)
        for s in option.steps
    ]


def _staff_day(w, name=METASTASIS_DAY, first=date(2027, 3, 15), patient="lou") -> Itinerary:
    """The desk books the first `name` day from `first` at Cleveland for the patient."""
    zone = get_zone("America/New_York")
    q = OptionsQuery(first, first + timedelta(days=14), zone, w.ids["Cleveland"], None, 1)
    option = day_options(db.session, _pathway(name), q, now=clock.now())[0]
    return itineraries.book(
        db.session, _pathway(name).id, _steps(option), actor=_desk(), now=clock.now(), patient_id=w.ids[patient]
    )


def _confirm_values(page: str) -> dict:
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    out: dict = {"step": []}
    for name, value in fields:
        value = html_lib.unescape(value)
        if name == "step":
            out["step"].append(value)
        else:
            out[name] = value
    return out


def _times(client, pathway: Pathway, **params) -> str:
    return html(client.get("/find-care/days/times", query_string={"pathway": pathway.id, **params}))


def _confirm_links(page: str) -> list[str]:
    return [html_lib.unescape(u) for u in re.findall(r'href="(/find-care/days/confirm\?[^"]+)"', page)]


def test_find_care_offers_a_whole_clinic_day_and_lists_only_the_self_bookable_ones(world, client):
    page = html(client.get("/find-care"))
    assert 'href="/find-care/days"' in page and "Book a whole clinic day" in page
    page = text_of(html(client.get("/find-care/days")))
    assert SECOND_OPINION_DAY in page and METASTASIS_DAY not in page
    assert "Imaging review (in clinic), then Neurosurgery consultation" in page
    # the care team's own pathway cannot be opened or booked by a patient
    r = client.get("/find-care/days/times", query_string={"pathway": _pathway(METASTASIS_DAY).id})
    assert r.status_code == 302 and r.headers["Location"] == "/find-care/days"
    assert "cannot be booked online" in html(client.get("/find-care/days"))


def test_a_first_visit_answers_the_intake_then_comes_back_to_the_days(client):
    w = build(client)
    w.sign_in(OHIO)
    pathway = _pathway(SECOND_OPINION_DAY)
    r = client.get("/find-care/days/times", query_string={"pathway": pathway.id})
    assert r.status_code == 302 and r.headers["Location"].startswith("/intake?")
    assert f"day={pathway.id}" in r.headers["Location"]
    intake = html(client.get(r.headers["Location"]))
    assert f'name="day" value="{pathway.id}"' in intake
    r = w.intake(day=str(pathway.id), need="second-opinion", mode="in_person")
    assert r.status_code == 302 and r.headers["Location"] == f"/find-care/days/times?pathway={pathway.id}"
    assert "Here are the days we can see you." in html(client.get(r.headers["Location"]))


def test_days_read_on_the_patients_clock_first_and_the_sites_second_named_by_city(world, client):
    page = _times(client, _pathway(SECOND_OPINION_DAY), site=world.ids["Cleveland"])
    text = text_of(page)
    assert "Times are your own (British Time)" in text and "Europe/London" not in text
    assert OWN_FIRST.search(text), text[:2000]
    assert "Imaging review (in clinic) with Dr. Grace Kim" in text
    assert "Neurosurgery consultation with Dr. Amara Okafor" in text
    assert "Cleveland Main Campus, Cleveland" in text
    links = _confirm_links(page)
    assert links and len(links) <= 10
    # after the US changes its clocks (14 March) and before the UK does (28 March) the gap is four hours
    before, later = text.split("Mon 15 Mar 2027", 1)
    later = later.split("Mon 29 Mar 2027")[0]  # the UK moves its clocks on 28 March
    pairs = re.compile(r"(\d\d):\d\d your time \((\d\d):\d\d in Cleveland\)")
    assert pairs.findall(before) and all(int(own) - int(site) == 5 for own, site in pairs.findall(before))
    assert pairs.findall(later) and all(int(own) - int(site) == 4 for own, site in pairs.findall(later))


def test_a_patient_books_a_second_opinion_day_and_sees_one_itinerary(world, client):
    pathway = _pathway(SECOND_OPINION_DAY)
    link = _confirm_links(_times(client, pathway, site=world.ids["London"]))[0]
    confirm = html(client.get(link))
    assert "Confirm your clinic day" in confirm and "Book this day" in confirm
    values = _confirm_values(confirm)
    assert len(values["step"]) == 2
    r = client.post("/find-care/days/book", data=values)
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    it = db.session.scalars(select(Itinerary)).one()
    assert r.headers["Location"] == f"/appointments/days/{it.id}"
    assert (it.patient_id, it.pathway_id, it.status) == (world.ids["lou"], pathway.id, "booked")
    steps = itineraries.steps_of(db.session, it.id)
    assert [s.location_id for s in steps] == [world.ids["London"]] * 2
    page = text_of(html(client.get(r.headers["Location"])))
    assert "Your clinic day is booked. We've sent you one confirmation for the whole day." in page
    assert "Imaging review (in clinic) with Dr. Lena Fischer" in page and "London Spine Centre, London" in page
    # one confirmation for the day: on its first step only, one per channel
    notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule == "confirmation")).all()
    assert {n.appointment_id for n in notices} == {steps[0].id}
    # My appointments: ONE card for the day, its steps inside it
    mine = html(client.get("/appointments"))
    assert mine.count(f'href="/appointments/days/{it.id}"') == 1
    assert all(f'href="/appointments/{s.id}"' not in mine for s in steps)
    assert "Clinic day · 2 visits · Booked" in text_of(mine)


def test_a_day_taken_meanwhile_books_nothing_and_says_which_part(world, client):
    pathway = _pathway(SECOND_OPINION_DAY)
    confirm = html(client.get(_confirm_links(_times(client, pathway, site=world.ids["London"]))[0]))
    values = _confirm_values(confirm)
    start, clinicians, site, mode, _ = values["step"][1].split("|")
    neuro = db.session.scalars(select(VisitType).where(VisitType.name == "Neurosurgery consultation")).one()
    req = SlotRequest(neuro.id, int(clinicians), int(site), mode, datetime.fromisoformat(start), "GB")
    booking.book(db.session, booking.BookingRequest(req, patient_id=world.ids["ola"]), actor=_desk(), now=clock.now())
    before = db.session.scalar(select(func.count()).select_from(Appointment))
    page = text_of(html(client.post("/find-care/days/book", data=values), 409))
    assert "Sorry, someone has just booked that time." in page and "step 2 (neurosurgery consultation)" in page
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == before
    assert db.session.scalars(select(Itinerary)).first() is None
    assert "First free days" in page  # and the days that are free now


def test_a_malformed_or_foreign_choice_books_nothing(world, client):
    pathway = _pathway(SECOND_OPINION_DAY)
    for data in ({"pathway": pathway.id, "step": ["soon|1|1|in_person|"]}, {"pathway": pathway.id}):
        r = client.post("/find-care/days/book", data=data)
        assert r.status_code == 302 and r.headers["Location"] == f"/find-care/days/times?pathway={pathway.id}"
    r = client.post("/find-care/days/book", data={"pathway": _pathway(METASTASIS_DAY).id, "step": ["x"]})
    assert r.status_code == 302 and r.headers["Location"] == "/find-care/days"
    assert db.session.scalars(select(Itinerary)).first() is None
    r = client.get("/find-care/days/confirm", query_string={"pathway": pathway.id, "date": "2027-03-07", "site": 1})
    assert "Sorry, that day is no longer free as it was." in html(r)  # a Sunday: no such day on offer


def test_my_appointments_show_a_staff_booked_day_with_what_to_bring_and_one_calendar_file(world, client):
    it = _staff_day(world)
    page = html(client.get("/appointments"))
    text = text_of(page)
    assert text.count(METASTASIS_DAY) == 1 and "Clinic day · 3 visits · Booked" in text
    assert "Whole-spine MRI with Dr. Grace Kim" in text and MRI_NOTE in text
    assert text.count("Before you come:") == 1  # only the MRI step
    # a Cleveland day read by a London patient in the four-hour weeks
    pairs = re.findall(r"(\d\d):\d\d your time \((\d\d):\d\d in Cleveland\)", text)
    assert len(pairs) == 3 and all(int(a) - int(b) == 4 for a, b in pairs)
    day = html(client.get(f"/appointments/days/{it.id}"))
    assert f'href="/appointments/days/{it.id}/calendar.ics"' in day and "Cancel the whole day" in day
    r = client.get(f"/appointments/days/{it.id}/calendar.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert r.headers["Content-Disposition"] == f'attachment; filename="clinic-day-{it.id}.ics"'
    events = list(Calendar.from_ical(r.data).walk("VEVENT"))
    assert len(events) == 3
    assert [str(e["summary"]).split(" with ")[0] for e in events] == [
        "Whole-spine MRI",
        "Neurosurgery consultation",
        "Radiation oncology consultation",
    ]


def test_cancel_the_whole_day_asks_first_then_cancels_every_step_with_one_notice(world, client):
    it = _staff_day(world)
    steps = itineraries.steps_of(db.session, it.id)
    page = html(client.get(f"/appointments/days/{it.id}/cancel"))
    assert "Cancel the whole day?" in page and "Yes, cancel the whole day" in page
    assert {world.appointment(s.id).status for s in steps} == {"booked"}  # the GET changes nothing
    r = client.post(f"/appointments/days/{it.id}/cancel", data={"reason": "Seen locally"})
    assert r.status_code == 302 and r.headers["Location"] == f"/appointments/days/{it.id}"
    assert {world.appointment(s.id).status for s in steps} == {"cancelled"}
    cancellations = db.session.scalars(select(OutboxMessage).where(OutboxMessage.rule == "cancelled")).all()
    assert {m.appointment_id for m in cancellations} == {steps[0].id}
    page = text_of(html(client.get(r.headers["Location"])))
    assert "Your clinic day is cancelled" in page and "Cancel the whole day" not in page
    mine = text_of(html(client.get("/appointments")))
    assert "Past and cancelled" in mine and "Clinic day · 3 visits · Cancelled" in mine


def test_one_step_is_not_changed_on_its_own(world, client):
    it = _staff_day(world)
    step = itineraries.steps_of(db.session, it.id)[1]
    page = html(client.get(f"/appointments/{step.id}"))
    assert f'href="/appointments/days/{it.id}"' in page and f"/appointments/{step.id}/cancel" not in page
    r = client.post(f"/appointments/{step.id}/cancel", data={})
    assert "the day is changed or cancelled as a whole" in html(client.get(r.headers["Location"]))
    r = client.get(f"/appointments/{step.id}/reschedule")
    assert r.status_code == 302
    r = client.post(f"/appointments/{step.id}/earlier")
    assert r.status_code == 302
    assert world.appointment(step.id).status == "booked"
    assert f'href="/appointments/days/{it.id}/cancel"' in html(client.get(f"/appointments/{step.id}/cancel"))


def test_a_course_is_one_card_listing_every_date(world, client):
    vt = db.session.scalars(select(VisitType).where(VisitType.name == RADIOSURGERY)).one()
    doc = db.session.scalars(select(Clinician).where(Clinician.name == "Dr. Anika Shah")).one()
    spec = courses.CourseSpec(vt.id, doc.id, world.ids["London"], 3, "weekdays")
    zone = get_zone("Europe/London")
    first = courses.options(db.session, spec, date(2027, 3, 8), date(2027, 3, 12), zone, now=clock.now(), limit=1)
    course = courses.book(
        db.session, courses.CourseRequest(spec, world.ids["lou"], first[0][0].start), actor=_desk(), now=clock.now()
    )
    text = text_of(html(client.get("/appointments")))
    assert text.count("Radiosurgery treatment: 3 visits") == 1
    assert "With Dr. Anika Shah · London Spine Centre, London · Booked" in text
    assert "Mon 8 Mar 2027" in text and "Tue 9 Mar 2027" in text and "Wed 10 Mar 2027" in text
    fraction = courses.fractions_of(db.session, course.id)[0]
    page = html(client.get(f"/appointments/{fraction.id}"))
    assert "part of your treatment course" in page and f"/appointments/{fraction.id}/cancel" not in page


def test_nobody_else_opens_or_cancels_a_patients_day(world, client):
    it = _staff_day(world)
    world.sign_in(OHIO)
    for path in ("", "/calendar.ics", "/cancel"):
        html(client.get(f"/appointments/days/{it.id}{path}"), 404)
    html(client.post(f"/appointments/days/{it.id}/cancel"), 404)
    world.sign_in(OKAFOR, DEMO_PASSWORD)  # a clinician on the day: her own schedule, not the patient's pages
    html(client.get(f"/appointments/days/{it.id}"), 403)
    assert world.appointment(itineraries.steps_of(db.session, it.id)[0].id).status == "booked"


# --- the clinician's schedule -------------------------------------------------------------------------


def _clinician_user(clinician: Clinician) -> str:
    """Sign-in for a demo clinician (created once)."""
    if db.session.scalars(select(User).where(User.email == clinician.email)).first() is None:
        f.user(clinician.email, "clinician")
    return clinician.email


def test_the_clinicians_schedule_shows_joint_visits_and_the_rest_of_the_patients_day(world, client):
    it = _staff_day(world, first=date(2027, 3, 8))
    steps = itineraries.steps_of(db.session, it.id)
    joint = db.session.scalars(select(VisitType).where(VisitType.name == JOINT)).one()
    start = datetime.fromisoformat("2027-03-10T14:00:00+00:00")  # Wed 09:00 EST
    req = SlotRequest(joint.id, world.ids["okafor"], world.ids["Cleveland"], "in_person", start, "US-OH")
    appt = booking.book(
        db.session, booking.BookingRequest(req, patient_id=world.ids["ola"]), actor=_desk(), now=clock.now()
    )
    radonc = db.session.get(Clinician, appt.attending_ids[1])
    assert radonc.specialty == "radiation_oncology"
    world.sign_in(_clinician_user(radonc))
    page = text_of(html(client.get("/clinic/today", query_string={"date": "2027-03-10"})))
    assert "Joint spine consultation (joint visit, with Dr. Amara Okafor)" in page and "Ola Ohio" in page
    # the clinic day's radiation oncology step: the rest of Lou's day is beside it, in the site's time
    world.sign_in(_clinician_user(db.session.get(Clinician, steps[2].clinician_id)))
    day = text_of(html(client.get("/clinic/today", query_string={"date": "2027-03-08"})))
    assert "Lou London" in day and "Rest of the patient's day:" in day
    assert re.search(r"\d+:\d\d AM EST · Whole-spine MRI with Dr\. Grace Kim", day), day
    assert "Neurosurgery consultation with Dr. Amara Okafor" in day
