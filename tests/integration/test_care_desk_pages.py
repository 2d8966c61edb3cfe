"""Care at the desk through the pages (test client, SQLite and PostgreSQL): the admin's rooms and machines,
hours, time out of service, site closures, visit types with resources and teams, pathways; the scheduler's
joint visits, clinic days and radiosurgery courses. Each page renders, each form saves, each refusal is in
words on the page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import Appointment, Course, Itinerary, Pathway, Resource, ResourceTimeOff, SiteClosure, VisitType
from tests import factories as f
from tests.support.care_desk_world import Forms, build, form_data
from tests.support.desk_world import appointment, page, sign_in

MONDAY = "2027-03-08"  # a week after the suite's clock (Mon 1 Mar 2027 12:00 UTC); US DST starts Sun 14 Mar


@pytest.fixture
def care(client):
    return build()


def _api_book(client, care, visit_type_id, clinician_id, start, patient_id=None, mode="in_person") -> int:
    body = {"visit_type_id": visit_type_id, "clinician_id": clinician_id, "location_id": care.p.cleveland.id}
    body |= {"mode": mode, "start": start, "patient_id": patient_id or care.ohio}
    r = client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    return r.json["id"]


def _text(html: str) -> str:
    """What a person reads: the page without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# --- admin: rooms and machines ---------------------------------------------------------------------------


def test_an_admin_adds_a_resource_and_sets_its_weekly_hours(client, care):
    sign_in(client, "admin")
    html = page(client.get("/admin/resources"))
    assert "MRI 1" in html and "Linac 1" in html and "No rooms or machines at London yet." in html
    bad = {"name": "", "kind": "MRI scanner", "location_id": str(care.p.london.id)}
    html = page(client.post("/admin/resources", data=bad), 422)
    assert 'id="name-error"' in html
    assert "Please enter the kind as a short lower-case kind such as mri, linac or exam_room." in html
    r = client.post("/admin/resources", data=bad | {"name": "MRI London", "kind": "mri"})
    assert r.status_code == 302
    res = db.session.scalars(select(Resource).where(Resource.name == "MRI London")).one()
    assert r.headers["Location"].endswith(f"/admin/resources/{res.id}")
    html = page(client.get(f"/admin/resources/{res.id}"))
    assert "London's wall time (Europe/London)" in html and "Not out of service at any time to come." in html
    taken = page(
        client.post("/admin/resources", data={"name": "MRI 1", "kind": "mri", "location_id": care.p.cleveland.id}), 409
    )
    assert "This site already has a resource with that name." in taken

    rows = {"rows": "3", "rules-0-weekday": "0", "rules-0-start": "08:00", "rules-0-end": "25:00"}
    rows |= {"rules-1-weekday": "2", "rules-1-start": "09:00", "rules-1-end": "13:00", "rules-2-weekday": "4"}
    html = page(client.post(f"/admin/resources/{res.id}/hours", data=rows), 422)
    assert 'id="rules-0-end-error"' in html and "Nothing was saved" in html
    r = client.post(f"/admin/resources/{res.id}/hours", data=rows | {"rules-0-end": "17:30"})
    assert r.status_code == 302
    db.session.expire_all()
    assert [(h.weekday, h.start_minute, h.end_minute) for h in db.session.get(Resource, res.id).rules] == [
        (0, 480, 1050),
        (2, 540, 780),
    ]
    assert "2 windows" in page(client.get("/admin/resources"))
    assert 'value="17:30"' in page(client.get(f"/admin/resources/{res.id}"))


def test_out_of_service_over_booked_visits_asks_then_keeps_or_cancels(client, care):
    kept = _api_book(client, care, care.mri_type, care.radiology, f"{MONDAY}T08:00:00-05:00")
    sign_in(client, "admin")
    day = {"kind": "day", "date": MONDAY, "reason": "service"}
    html = page(client.post(f"/admin/resources/{care.mri}/time-off", data=day), 409)
    assert "1 booked visit uses this resource then. Nothing is saved yet" in html
    assert "These booked visits are affected" in html and "other" in html and "8:00 AM EST" in html
    assert "Whole-spine MRI" in html and f"/schedule/appointments/{kept}" in html
    choice = Forms(html).with_button("Keep them")
    assert _count(ResourceTimeOff) == 0
    r = client.post(f"/admin/resources/{care.mri}/time-off", data=form_data(choice, affected="keep"))
    assert r.status_code == 302
    assert appointment(kept).status == "booked" and _count(ResourceTimeOff) == 1

    cancelled = _api_book(client, care, care.mri_type, care.radiology, "2027-03-09T10:00:00-05:00")
    span = {"kind": "span", "start_date": "2027-03-09", "start_time": "09:00", "end_date": "2027-03-09"}
    html = page(client.post(f"/admin/resources/{care.mri}/time-off", data=span | {"end_time": "8:00"}), 422)
    assert 'id="end-time-error"' in html
    html = page(client.post(f"/admin/resources/{care.mri}/time-off", data=span | {"end_time": "12:00"}), 409)
    choice = Forms(html).with_button("Cancel them and tell the patients")
    r = client.post(f"/admin/resources/{care.mri}/time-off", data=form_data(choice, affected="cancel"))
    assert r.status_code == 302
    assert appointment(cancelled).status == "cancelled"
    html = page(client.get(r.headers["Location"]))
    assert "1 visit(s) cancelled; each patient is told." in html and "Tue, Mar 9, 2027, 9:00 AM EST to" in html


def test_a_site_closure_lists_the_visits_booked_that_day_with_links_to_move_them(client, care):
    booked = _api_book(client, care, care.p.consult.id, care.neuro, f"{MONDAY}T10:00:00-05:00")
    sign_in(client, "admin")
    assert "No site is closed on any day to come." in page(client.get("/admin/closures"))
    html = page(client.post("/admin/closures", data={"location_id": "", "date": "8 March"}), 422)
    assert 'id="location-id-error"' in html and 'id="date-error"' in html
    form = {"location_id": str(care.p.cleveland.id), "date": MONDAY, "reason": "Flood"}
    r = client.post("/admin/closures", data=form)
    assert r.status_code == 302
    html = page(client.get(r.headers["Location"]))
    assert "Cleveland is closed on Mon, Mar 8, 2027." in html and "1 visit is already booked that day" in html
    assert "Flood" in html and "other" in html and f"/schedule/appointments/{booked}" in html
    assert "1 visit still booked that day" in html
    assert "The site is already closed that day." in page(client.post("/admin/closures", data=form), 409)
    assert _count(SiteClosure) == 1


def test_a_visit_type_needs_resources_and_a_team(client, care):
    sign_in(client, "admin")
    html = page(client.get(f"/admin/visit-types/{care.joint}"))
    assert '<option value="neurosurgery" selected>' in html and '<option value="radiation_oncology" selected>' in html
    html = page(client.get(f"/admin/visit-types/{care.srs}"))
    assert 'name="resource_kinds" type="text" value="linac"' in html
    body = {"name": "Joint MRI review", "duration_minutes": "45", "modes": ["in_person"], "max_advance_days": "90"}
    body |= {"resource_kinds": "MRI, exam_room", "team-0": "neurosurgery", "team-1": "radiation_oncology"}
    bad = page(client.post("/admin/visit-types", data=body | {"resource_kinds": "mri!"}), 422)
    assert 'id="resource-kinds-error"' in bad
    assert "Please enter the kinds of room or machine as a short lower-case kind" in bad
    assert client.post("/admin/visit-types", data=body).status_code == 302
    vt = db.session.scalars(select(VisitType).where(VisitType.name == "Joint MRI review")).one()
    assert (vt.resource_kinds, vt.team_specialties) == (["mri", "exam_room"], ["neurosurgery", "radiation_oncology"])
    assert "joint: neurosurgery + radiation oncology; mri, exam_room" in page(client.get("/admin/visit-types"))
    cleared = body | {"resource_kinds": "", "team-0": "", "team-1": ""}
    assert client.post(f"/admin/visit-types/{vt.id}", data=cleared).status_code == 302
    db.session.expire_all()
    assert (vt.resource_kinds, vt.team_specialties) == ([], [])


def test_an_admin_adds_a_pathway_with_ordered_steps(client, care):
    sign_in(client, "admin")
    assert "New spinal metastasis day" in page(client.get("/admin/pathways"))
    assert "Steps, in order" in page(client.get("/admin/pathways/new"))
    html = page(
        client.post("/admin/pathways", data={"name": "", "min_gap_minutes": "30", "max_gap_minutes": "10"}), 422
    )
    assert 'id="name-error"' in html and "choose the visit type of the first step" in html
    form = {"name": "Second opinion day", "min_gap_minutes": "0", "max_gap_minutes": "90", "self_bookable": "1"}
    form |= {"steps-0-visit_type_id": str(care.mri_type), "steps-0-mode": "virtual"}
    form |= {"steps-2-visit_type_id": str(care.p.consult.id), "steps-2-mode": ""}
    html = page(client.post("/admin/pathways", data=form), 422)
    assert 'id="steps-0-mode-error"' in html and "this visit type is offered only as in_person" in html
    html = page(client.post("/admin/pathways", data=form | {"steps-2-mode": "by pigeon"}), 422)
    assert 'id="steps-2-mode-error"' in html
    assert client.post("/admin/pathways", data=form | {"steps-0-mode": "in_person"}).status_code == 302
    made = db.session.scalars(select(Pathway).where(Pathway.name == "Second opinion day")).one()
    assert made.steps == [
        {"visit_type_id": care.mri_type, "mode": "in_person"},
        {"visit_type_id": care.p.consult.id, "mode": None},
    ]
    assert made.self_bookable and (made.min_gap_minutes, made.max_gap_minutes) == (0, 90)
    html = page(client.get("/admin/pathways"))
    assert "Second opinion day" in html and "0 min to 1 h 30 min" in html
    assert "A pathway with this name exists." in page(
        client.post("/admin/pathways", data=form | {"steps-0-mode": "in_person"}), 409
    )


# --- scheduler: joint visits -------------------------------------------------------------------------------


def test_a_joint_visit_shows_and_books_every_clinician_and_the_scanner_is_named(client, care):
    sign_in(client, "scheduler")
    url = f"/schedule/book/{care.ohio}?visit_type_id={care.joint}&mode=in_person&from={MONDAY}"
    html = page(client.get(url))
    assert "Dr. Neuro + Dr. Rad" in html
    slot = Forms(html).with_button("Book 8:00 AM EST")
    assert form_data(slot)["clinician_ids"] == [str(care.neuro), str(care.radonc)]
    r = client.post(f"/schedule/book/{care.ohio}", data=form_data(slot))
    assert r.status_code == 302
    appt_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert appointment(appt_id).attending_ids == [care.neuro, care.radonc]
    html = page(client.get(f"/schedule/appointments/{appt_id}"))
    assert "With Dr. Neuro + Dr. Rad (joint visit)" in _text(html)
    mri = page(client.get(f"/schedule/book/{care.ohio}?visit_type_id={care.mri_type}&from={MONDAY}"))
    assert "Dr. Image · MRI 1 · Cleveland" in mri
    r = client.post(f"/schedule/book/{care.ohio}", data=form_data(Forms(mri).with_button("Book 8:00 AM EST")))
    assert r.status_code == 302
    assert "Uses MRI 1" in _text(page(client.get(r.headers["Location"])))


# --- scheduler: clinic days ----------------------------------------------------------------------------------


def _options_url(care, patient_id, **extra) -> str:
    q = {"pathway_id": care.pathway, "location_id": care.p.cleveland.id, "from": MONDAY} | extra
    return f"/schedule/book/{patient_id}/day?" + "&".join(f"{k}={v}" for k, v in q.items())


def test_a_scheduler_books_a_clinic_day_for_a_london_patient_moves_it_and_cancels_it(client, care):
    sign_in(client, "scheduler")
    html = page(client.get(f"/schedule/book/{care.londoner}"))
    assert f"/schedule/book/{care.londoner}/day" in html and f"/schedule/book/{care.londoner}/course" in html
    html = page(client.get(_options_url(care, care.londoner)))
    assert "New spinal metastasis day: the days that fit" in html and "Times in America/New_York" in html
    assert "Mon, Mar 8 at Cleveland" in html and "8:00 AM EST</time>–9:00 AM EST" in html
    assert "1:00 PM GMT for the patient" in html  # London is 5 hours ahead that week
    assert "Dr. Image · MRI 1" in html
    picked = Forms(html).with_button("Choose Mon, Mar 8 at Cleveland")
    confirm = page(client.get(picked["action"], query_string=form_data(picked)))
    assert "Confirm the clinic day" in confirm and "Mon, Mar 8 at Cleveland, 8:00 AM EST – " in confirm
    r = client.post(
        f"/schedule/book/{care.londoner}/day", data=form_data(Forms(confirm).with_button("Book the whole day"))
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    it = db.session.scalars(select(Itinerary)).one()
    assert r.headers["Location"].endswith(f"/schedule/days/{it.id}")
    html = page(client.get(r.headers["Location"]))
    assert "Booked the whole day for pat." in html and "Move the whole day" in html
    assert html.count('class="day-step status-booked"') == 3
    steps = db.session.scalars(select(Appointment).where(Appointment.itinerary_id == it.id)).all()
    assert f"/schedule/appointments/{steps[0].id}" in html
    one = page(client.get(f"/schedule/appointments/{steps[0].id}"))
    assert "a clinic day: see the whole day" in one and "Move or cancel the whole day" in one
    assert "Move to another time" not in one and "Reason for cancelling" not in one  # a step never moves alone
    refused = page(client.post(f"/schedule/appointments/{steps[0].id}/cancel", data={"reason": "x"}), 409)
    assert "one step of a clinic day" in refused

    move = Forms(html).with_button("Move the whole day to Tue, Mar 9 at Cleveland")
    assert client.post(move["action"], data=form_data(move)).status_code == 302
    db.session.expire_all()
    assert {a.start_at.date().isoformat() for a in steps} == {"2027-03-09"}
    cancel = page(client.get(f"/schedule/days/{it.id}/cancel"))
    assert "Cancel the whole day?" in cancel and "Tue, Mar 9 at Cleveland" in cancel
    r = client.post(f"/schedule/days/{it.id}/cancel", data={"reason": "Plan changed"})
    assert r.status_code == 302
    html = page(client.get(r.headers["Location"]))
    assert "Cancelled the whole day." in html and "This clinic day is cancelled" in html
    db.session.expire_all()
    assert db.session.get(Itinerary, it.id).status == "cancelled"
    assert {a.status for a in steps} == {"cancelled"}


def test_a_step_taken_meanwhile_is_named_and_fresh_options_are_shown(client, care):
    sign_in(client, "scheduler")
    html = page(client.get(_options_url(care, care.ohio)))
    picked = Forms(html).with_button("Choose Mon, Mar 8 at Cleveland")
    data = form_data(picked)
    _api_book(client, care, care.p.consult.id, int(data["steps-1-clinician_id"]), data["steps-1-start"], care.londoner)
    before = _count(Appointment)
    html = page(client.post(f"/schedule/book/{care.ohio}/day", data=data), 409)
    assert "Step 2 (Consult) can no longer be had." in html and "Nothing was booked." in html
    assert "The options below are as they are now." in html and "Choose Mon, Mar 8 at Cleveland" in html
    assert _count(Appointment) == before and _count(Itinerary) == 0
    tampered = page(client.post(f"/schedule/book/{care.ohio}/day", data=data | {"steps-2-start": "soon"}), 422)
    assert "Please correct the fields marked below." in tampered


def test_clinic_day_empty_states_and_bad_input_in_words(client, care):
    sign_in(client, "scheduler")
    html = page(client.get(_options_url(care, care.ohio, location_id=care.p.london.id)))
    assert "No clinic day fits in the 4 weeks from 2027-03-08 at London." in html and "the 4 weeks after" in html
    html = page(client.get(_options_url(care, care.ohio, **{"from": "next week"})), 422)
    assert 'id="from-error"' in html
    assert "Choose a pathway to see the days that fit." in page(client.get(f"/schedule/book/{care.ohio}/day"))
    db.session.query(Pathway).delete()
    db.session.commit()
    assert "No pathways yet" in page(client.get(f"/schedule/book/{care.ohio}/day"))


# --- scheduler: radiosurgery courses -----------------------------------------------------------------------------


def _course_url(care, patient_id, **extra) -> str:
    q = {"visit_type_id": care.srs, "clinician_id": care.radonc, "location_id": care.p.cleveland.id}
    q |= {"count": 3, "pattern": "weekdays", "from": "2027-03-12"} | extra
    return f"/schedule/book/{patient_id}/course?" + "&".join(f"{k}={v}" for k, v in q.items())


def test_a_scheduler_books_a_three_fraction_course_across_the_dst_change(client, care):
    sign_in(client, "scheduler")
    html = page(client.get(_course_url(care, care.londoner)))
    assert "Fri, Mar 12 – Tue, Mar 16, 8:00 AM in Cleveland, 3 fractions" in html
    assert "Fri, Mar 12, 8:00 AM EST" in html and "Mon, Mar 15, 8:00 AM EDT" in html
    assert "1:00 PM GMT for the patient" in html and "12:00 PM GMT for the patient" in html  # 4-hour weeks
    assert "On Linac 1" in html
    r = client.post(
        f"/schedule/book/{care.londoner}/course", data=form_data(Forms(html).with_button("Book this course"))
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    course = db.session.scalars(select(Course)).one()
    html = page(client.get(r.headers["Location"]))
    assert "Booked all 3 fractions." in html and html.count('class="fraction status-booked"') == 3
    fractions = db.session.scalars(select(Appointment).where(Appointment.course_id == course.id)).all()
    assert "a treatment course: see every fraction" in page(client.get(f"/schedule/appointments/{fractions[0].id}"))

    bad = page(client.post(f"/schedule/courses/{course.id}/reschedule", data={"date": "2027-03-22", "time": "8"}), 422)
    assert 'id="time-error"' in bad
    r = client.post(f"/schedule/courses/{course.id}/reschedule", data={"date": "2027-03-22", "time": "10:00"})
    assert r.status_code == 302
    html = page(client.get(r.headers["Location"]))
    assert "Moved the course." in html and "Mon, Mar 22 – Wed, Mar 24, 10:00 AM in Cleveland, 3 fractions" in html
    assert "Cancel the course?" in page(client.get(f"/schedule/courses/{course.id}/cancel"))
    assert client.post(f"/schedule/courses/{course.id}/cancel", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == "cancelled"
    assert "This course is cancelled" in page(client.get(f"/schedule/courses/{course.id}"))


def test_a_course_with_a_date_taken_meanwhile_names_the_date(client, care):
    sign_in(client, "scheduler")
    html = page(client.get(_course_url(care, care.ohio)))
    form = form_data(Forms(html).with_button("Book this course"))
    _api_book(client, care, care.srs, care.radonc, "2027-03-15T08:00:00-04:00", care.londoner)
    html = page(client.post(f"/schedule/book/{care.ohio}/course", data=form), 409)
    assert "Mon, Mar 15 cannot be had at that time any more. Nothing was booked." in html
    assert _count(Course) == 0 and "The earliest courses" in html
    assert not re.search(r"Fri, Mar 12 – Tue, Mar 16, 8:00 AM", html)


def test_course_empty_states_and_bad_input_in_words(client, care):
    sign_in(client, "scheduler")
    html = page(client.get(_course_url(care, care.ohio, count=11)), 422)
    assert 'id="count-error"' in html and "must be between 1 and 10" in html
    html = page(client.get(_course_url(care, care.ohio, clinician_id=care.neuro)))
    assert "No course of 3 fractions fits in the 4 weeks from 2027-03-12 at Cleveland" in html
    db.session.get(VisitType, care.srs).resource_kinds = []
    db.session.commit()
    assert "No visit type is given on a linac yet" in page(client.get(f"/schedule/book/{care.ohio}/course"))
