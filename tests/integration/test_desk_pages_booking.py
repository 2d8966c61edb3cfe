"""Booking at the desk: find or register the patient, see free slots, book, move, cancel; every refusal inline."""

from __future__ import annotations

import re

from televisit.extensions import db
from televisit.models import Patient
from tests import factories as f
from tests.support.desk_world import MON_9_EST, MON_10_EST, appointment, book, outbox_rules, page, sign_in, slot_form


def test_find_a_patient_by_name_or_email(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    html = page(client.get("/schedule/book?q=OTHER@exam"))
    assert f'href="/schedule/book/{p.users["other"].patient_id}"' in html
    assert "No patient matches" in page(client.get("/schedule/book?q=zzz_%"))
    assert "Search by name, MRN, date of birth or phone number" in page(client.get("/schedule/book"))


def test_register_a_patient_then_book_for_them(app, client):
    f.program()
    sign_in(client, "scheduler")
    form = {"name": "Rosa Diaz", "email": "Rosa@Example.org", "phone": "+12165550199", "timezone": "America/New_York"}
    r = client.post("/schedule/patients", data=form | {"region": "US-OH", "sms_opt_in": "1"})
    assert r.status_code == 302
    patient = db.session.query(Patient).filter_by(name="Rosa Diaz").one()
    assert r.headers["Location"].endswith(f"/schedule/book/{patient.id}")
    assert (patient.email, patient.region, patient.sms_opt_in, patient.email_opt_in) == (
        "rosa@example.org",
        "US-OH",
        True,
        False,
    )


def test_registration_errors_are_inline_and_described(app, client):
    f.program()
    sign_in(client, "scheduler")
    form = {"name": "", "email": "nope", "phone": "0123", "timezone": "Mars/Base"}
    html = page(client.post("/schedule/patients", data=form), 422)
    assert "The patient was not registered" in html
    for field in ("name", "email", "phone", "timezone"):
        assert f'id="{field}-error"' in html, field
    assert re.search(r'<input id="phone"[^>]*aria-describedby="phone-hint phone-error"[^>]*aria-invalid="true"', html)
    assert 'value="nope"' in html  # what was typed is kept


def test_free_slots_show_the_site_clock_and_the_patients_own(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    pid = p.users["patient"].patient_id  # lives in London, region GB
    html = page(client.get(f"/schedule/book/{pid}?visit_type_id={p.consult.id}&mode=in_person&from=2027-03-08"))
    assert "Book 9:00 AM EST" in html and "patient's time 2:00 PM GMT" in html
    assert "Book 9:00 AM GMT" in html  # London too (in person needs no licence)
    video = page(client.get(f"/schedule/book/{pid}?visit_type_id={p.consult.id}&mode=virtual&from=2027-03-08"))
    assert "Book 9:00 AM GMT" in video and "Dr. Cleveland" not in video.split('id="slots-title"')[1]
    assert "Choose a visit type" in page(client.get(f"/schedule/book/{pid}"))


def test_book_a_slot(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    pid = p.users["other"].patient_id
    r = client.post(f"/schedule/book/{pid}", data=slot_form(p, MON_9_EST, patient_region="US-OH"))
    assert r.status_code == 302
    appt_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert appointment(appt_id).patient_id == pid and "confirmation" in outbox_rules(appt_id)
    html = page(client.get(r.headers["Location"]))
    assert "Booked for other" in html and "9:00 AM EST" in html


def test_a_slot_just_taken_is_refused_inline_and_the_search_is_kept(app, client):
    p = f.program()
    book(client, p, "other", MON_9_EST)
    sign_in(client, "scheduler")
    pid = p.users["patient"].patient_id
    form = slot_form(p, MON_9_EST, mode="in_person") | {"f-visit_type_id": str(p.consult.id), "f-from": "2027-03-08"}
    html = page(client.post(f"/schedule/book/{pid}", data=form), 409)
    assert "Someone booked that time a moment ago" in html and 'role="alert"' in html
    assert "Book 10:00 AM EST" in html  # the slots of the same search, so another can be picked at once


def test_video_outside_the_clinicians_licences_is_refused_with_the_reason(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    pid = p.users["patient"].patient_id  # in GB; Dr. Cleveland holds US-OH and US-FL only
    html = page(client.post(f"/schedule/book/{pid}", data=slot_form(p, MON_9_EST, patient_region="GB")), 409)
    assert "not licensed where the patient will be" in html


def test_inside_the_minimum_notice_is_refused_with_the_reason(app, client):
    p = f.program()
    p.consult.min_notice_minutes = 7 * 24 * 60
    db.session.commit()
    sign_in(client, "scheduler")
    pid = p.users["other"].patient_id
    html = page(client.post(f"/schedule/book/{pid}", data=slot_form(p, "2027-03-01T09:00:00-05:00")), 409)
    assert "inside this visit type's minimum notice" in html


def test_a_missing_start_is_a_field_error_not_a_500(app, client):
    p = f.program()
    sign_in(client, "scheduler")
    html = page(client.post(f"/schedule/book/{p.users['other'].patient_id}", data={"mode": "sideways"}), 422)
    assert "Please correct the fields" in html and "start" in html


def test_move_a_visit_to_a_new_time(app, client):
    p = f.program()
    appt_id = book(client, p, "other", MON_9_EST)
    sign_in(client, "scheduler")
    html = page(client.get(f"/schedule/appointments/{appt_id}?from=2027-03-08"))
    assert "Move to 10:00 AM EST" in html and "Move to 9:00 AM EST" not in html  # its own time is not offered
    r = client.post(
        f"/schedule/appointments/{appt_id}/reschedule", data={"start": MON_10_EST, "patient_region": "US-OH"}
    )
    assert r.status_code == 302
    moved = appointment(appt_id)
    assert moved.sequence == 1 and moved.start_at.isoformat() == "2027-03-08T15:00:00+00:00"
    assert "moved" in outbox_rules(appt_id)
    assert "Moved. other will get a message" in page(client.get(r.headers["Location"]))


def test_moving_onto_a_taken_time_is_refused_inline(app, client):
    p = f.program()
    appt_id = book(client, p, "other", MON_9_EST)
    book(client, p, "patient", MON_10_EST, mode="in_person")
    sign_in(client, "scheduler")
    html = page(client.post(f"/schedule/appointments/{appt_id}/reschedule", data={"start": MON_10_EST}), 409)
    assert "Someone booked that time a moment ago" in html
    assert appointment(appt_id).sequence == 0


def test_cancel_needs_a_reason(app, client):
    p = f.program()
    appt_id = book(client, p, "other", MON_9_EST)
    sign_in(client, "scheduler")
    html = page(client.post(f"/schedule/appointments/{appt_id}/cancel", data={"reason": " "}), 422)
    assert 'id="reason-error"' in html and appointment(appt_id).status == "booked"
    r = client.post(f"/schedule/appointments/{appt_id}/cancel", data={"reason": "Clinic closed for snow"})
    assert r.status_code == 302
    done = appointment(appt_id)
    assert (done.status, done.cancel_reason) == ("cancelled", "Clinic closed for snow")
    html = page(client.get(r.headers["Location"]))
    assert "can no longer be moved or cancelled" in html
    assert "This appointment is cancelled" in page(
        client.post(f"/schedule/appointments/{appt_id}/cancel", data={"reason": "again"}), 409
    )


def test_unknown_patient_or_appointment_is_a_friendly_404(app, client):
    f.program()
    sign_in(client, "scheduler")
    page(client.get("/schedule/book/999"), 404)
    page(client.get("/schedule/appointments/999"), 404)


def test_patients_cannot_use_the_desk(app, client):
    p = f.program()
    appt_id = book(client, p, "other", MON_9_EST)
    sign_in(client, "other")
    page(client.get("/schedule/book"), 403)
    page(client.post(f"/schedule/appointments/{appt_id}/cancel", data={"reason": "x"}), 403)
    assert appointment(appt_id).status == "booked"


def _selected(html: str, name: str) -> list[str]:
    """The values of the selected options of the <select> named `name`."""
    (body,) = re.findall(rf'<select [^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)" selected>', body)


def test_where_the_patient_will_be_is_preselected_from_their_profile_subdivision(app, client):
    p = f.program()
    english = f.user("eng@example.org", "patient", tz="Europe/London", region="GB-ENG").patient
    sign_in(client, "scheduler")
    html = page(client.get(f"/schedule/book/{english.id}?visit_type_id={p.consult.id}&from=2027-03-08"))
    assert _selected(html, "patient_region") == ["GB"]  # the list has the United Kingdom, not England
    assert "Book 9:00 AM GMT" in html  # Mr. London (licensed in GB) is offered for video to a patient in England
    ohio = page(client.get(f"/schedule/book/{p.users['other'].patient_id}"))
    assert _selected(ohio, "patient_region") == ["US-OH"]
    appt_id = book(client, p, "patient", "2027-03-08T09:00:00+00:00", doc=p.uk_doc)
    db.session.get(Patient, p.users["patient"].patient_id).region = "GB-SCT"
    db.session.query(type(appointment(appt_id))).filter_by(id=appt_id).update({"patient_region": None})
    db.session.commit()
    assert _selected(page(client.get(f"/schedule/appointments/{appt_id}")), "patient_region") == ["GB"]
