"""Patient identity at the desk: the register form warns of likely duplicates and links them, the Patients page
searches by name, MRN, birth date or phone, every staff list shows name + birth date + MRN, and a patient's staff
record shows each section and is itself audited."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from televisit import clock
from televisit.extensions import db
from televisit.models import AuditEvent, Course, Intake, Itinerary, Pathway, Patient, UrgentCase
from televisit.services.auth import actor_of
from televisit.services.messaging import waitlist
from tests import factories as f
from tests.support.desk_world import MON_9_EST, book, page, sign_in

ROSA = {"name": "Rosa Díaz", "email": "rosa@example.org", "phone": "(216) 555-0142", "timezone": "America/New_York"}


def _identify(p, who="other", born=date(1958, 3, 14), mrn="CLE-004512", phone="+12165550142") -> Patient:
    patient = p.users[who].patient
    patient.date_of_birth, patient.mrn, patient.phone = born, mrn, phone
    db.session.commit()
    return patient


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Patient))


def test_the_register_form_warns_of_the_same_name_and_birth_date_and_links_the_record(app, client):
    p = f.program()
    other = _identify(p)
    sign_in(client, "scheduler")
    before = _count()
    form = ROSA | {"name": "OTHER", "date_of_birth": "1958-03-14", "phone": "+12165550177"}
    html = page(client.post("/schedule/patients", data=form), 409)
    likely = html.split('id="likely-patients"')[1].split("</section>")[0]
    assert "Already registered?" in likely and "Same name and date of birth" in likely
    assert f'href="/schedule/patients/{other.id}">other</a>' in likely  # the record, to check who it is
    assert "born Mar 14, 1958" in likely and "MRN CLE-004512" in likely
    assert f'href="/schedule/book/{other.id}"' in likely and "Use this record" in likely
    assert 'name="confirm_new" value="1"' in html and 'value="1958-03-14"' in html  # what was typed is kept
    assert _count() == before
    r = client.post("/schedule/patients", data=form | {"confirm_new": "1"})
    assert r.status_code == 302 and _count() == before + 1  # someone else after all


def test_the_register_form_warns_of_a_shared_phone_typed_in_national_form(app, client):
    p = f.program()
    other = _identify(p)
    sign_in(client, "scheduler")
    html = page(client.post("/schedule/patients", data=ROSA), 409)  # (216) 555-0142 is the other's number
    likely = html.split('id="likely-patients"')[1]
    assert "Same phone" in likely and f'href="/schedule/patients/{other.id}"' in likely


def test_the_desk_reads_a_national_number_for_the_patients_region_else_its_own_country(app, client):
    f.program()
    sign_in(client, "scheduler")
    uk = ROSA | {"email": "ann@example.org", "name": "Ann Lee", "phone": "07700 900123", "region": "GB"}
    assert client.post("/schedule/patients", data=uk).status_code == 302
    us_desk = ROSA | {"email": "bo@example.org", "name": "Bo Li", "phone": "216 555 0199", "mrn": "cle-1"}
    assert client.post("/schedule/patients", data=us_desk, headers={"Accept-Language": "en-US"}).status_code == 302
    uk_desk = ROSA | {"email": "cy@example.org", "name": "Cy Ng", "phone": "020 7946 0999"}
    assert client.post("/schedule/patients", data=uk_desk, headers={"Accept-Language": "en-GB"}).status_code == 302
    stored = dict(db.session.execute(select(Patient.name, Patient.phone)).all())
    assert (stored["Ann Lee"], stored["Bo Li"], stored["Cy Ng"]) == ("+447700900123", "+12165550199", "+442079460999")
    assert db.session.scalar(select(Patient.mrn).where(Patient.name == "Bo Li")) == "CLE-1"


def test_registration_errors_on_birth_date_and_mrn_are_in_words(app, client):
    f.program()
    sign_in(client, "scheduler")
    html = page(client.post("/schedule/patients", data=ROSA | {"date_of_birth": "2030-01-01", "mrn": "a b"}), 422)
    assert "The date of birth cannot be in the future." in html and "letters, digits or hyphens" in html
    assert 'id="date-of-birth-error"' in html and 'id="mrn-error"' in html


def test_the_patients_page_finds_by_phone_birth_date_or_mrn_and_asks_for_two_characters(app, client):
    p = f.program()
    other = _identify(p, phone="+447700900123")
    sign_in(client, "scheduler")
    for q in ("07700 900123", "+44 7700 900123", "1958-03-14", "3/14/1958", "cle-004512", "OTH"):
        html = page(client.get("/schedule/patients", query_string={"q": q}))
        found = html.split('aria-label="Patients found"')[1]
        assert f'href="/schedule/patients/{other.id}">other</a>' in found, q
        assert "born Mar 14, 1958" in found and "MRN CLE-004512" in found, q
    short = page(client.get("/schedule/patients?q=o"))
    assert "Type at least two characters" in short and "No patient matches" not in short
    assert 'aria-invalid="true"' in short
    assert "No patient matches" in page(client.get("/schedule/patients?q=zz"))
    uk = page(client.get("/schedule/patients?q=14/03/1958", headers={"Accept-Language": "en-GB"}))
    assert "born 14 Mar 1958" in uk  # the UK desk reads and writes dates day first
    book_page = page(client.get("/schedule/book?q=o"))
    assert "Type at least two characters" in book_page and "No patient matches" not in book_page


def _record_world(client, p) -> dict:
    """The Ohio patient's visit, a past visit, a clinic day, a course, an intake with an urgent case, a waitlist
    entry, and the messages booking planned."""
    other = _identify(p)
    appt = book(client, p, "other", MON_9_EST)
    waitlist.join(db.session, appt, actor=actor_of(p.users["other"]), now=clock.now())
    past = book(client, p, "other", "2027-03-15T09:00:00-04:00")
    clock.freeze(clock.now() + timedelta(days=30))  # now the visit of the 8th (and of the 15th) are past
    now = clock.now()
    answers = {"symptoms": ["weakness"], "urgent": ["weakness_walking"], "since": "days", "details": "Legs give way"}
    intake = Intake(patient_id=other.id, need="new", answers=answers, red_flags=["weakness_walking"], created_at=now)
    db.session.add(intake)
    db.session.flush()
    db.session.add(UrgentCase(patient_id=other.id, intake_id=intake.id, flags=["weakness_walking"], created_at=now))
    pathway = Pathway(name="Metastasis day", steps=[{"visit_type_id": p.consult.id}], max_gap_minutes=60)
    db.session.add(pathway)
    db.session.flush()
    stamp = {"created_at": now, "updated_at": now, "status": "booked"}
    db.session.add(Itinerary(pathway_id=pathway.id, patient_id=other.id, sequence=0, **stamp))
    course = Course(patient_id=other.id, visit_type_id=p.consult.id, clinician_id=p.us_doc.id, count=3, **stamp)
    course.location_id, course.pattern = p.cleveland.id, "weekdays"
    db.session.add(course)
    db.session.commit()
    return {"patient": other.id, "appt": appt, "past": past}


def test_a_patients_record_shows_each_section_and_opening_it_is_audited(app, client):
    p = f.program()
    w = _record_world(client, p)
    sign_in(client, "scheduler")
    client.get(f"/schedule/book/{w['patient']}")  # an earlier opening, by the same desk
    html = page(client.get(f"/schedule/patients/{w['patient']}"))
    assert "born Mar 14, 1958" in html and "MRN CLE-004512" in html and "+12165550142" in html
    past = html.split('id="past-title"')[1].split("</section>")[0]
    assert f'href="/schedule/appointments/{w["appt"]}"' in past and f"/schedule/appointments/{w['past']}" in past
    assert "No upcoming visits" in html.split('id="upcoming-title"')[1].split('id="past-title"')[0]
    plans = html.split('id="days-title"')[1].split("</section>")[0]
    assert "Metastasis day" in plans and "Consult, 3 fractions" in plans and "/schedule/days/" in plans
    intake = html.split('id="intake-title"')[1].split("</section>")[0]
    assert "Weakness in an arm or leg" in intake and "Less than a week" in intake and "Legs give way" in intake
    assert "red flags: new weakness or trouble walking" in intake
    assert "new weakness or trouble walking · <strong>open</strong>" in html.split('id="urgent-title"')[1]
    assert f'href="/schedule/appointments/{w["appt"]}"' in html.split('id="waitlist-title"')[1].split("</section>")[0]
    messages = html.split('id="messages-title"')[1].split("</section>")[0]
    assert "Booking confirmation" in messages and "Email" in messages
    assert "Reminder 48 hours before" in messages and "Dear" not in messages and "http" not in messages
    opened = html.split('id="opened-title"')[1].split("</section>")[0]
    assert "sched (scheduler)" in opened and "opened the patient to book" in opened  # who, and what
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.object_type, event.object_id, event.patient_id) == (
        "patient.record",
        "patient",
        w["patient"],
        w["patient"],
    )
    assert event.user_id == p.users["scheduler"].id and event.outcome == 200
    again = page(client.get(f"/schedule/patients/{w['patient']}"))
    assert "opened this record" in again.split('id="opened-title"')[1]  # the first opening is listed now


def test_a_clinician_opens_the_record_of_a_patient_they_treat_only_and_without_the_audit(app, client):
    p = f.program()
    w = _record_world(client, p)
    sign_in(client, "clinician")  # Dr. Cleveland, on the visits
    html = page(client.get(f"/schedule/patients/{w['patient']}"))
    assert "MRN CLE-004512" in html and 'id="opened-title"' not in html and "/schedule/book/" not in html
    assert f'href="/appointments/{w["appt"]}"' in html  # their own page for a visit, not the desk's
    assert client.get(f"/schedule/patients/{p.users['patient'].patient_id}").status_code == 404  # not theirs
    assert client.get("/schedule/patients?q=other").status_code == 403  # the search page is the desk's


def test_staff_lists_and_pages_show_birth_date_and_mrn(app, client):
    p = f.program()
    w = _record_world(client, p)
    clock.freeze(clock.now() - timedelta(days=30))  # back to before the visits: the waitlist lists them
    sign_in(client, "scheduler")
    link = f'href="/schedule/patients/{w["patient"]}"'
    for url in (
        f"/schedule/appointments/{w['appt']}",
        "/schedule/urgent",
        "/schedule/waitlist",
        f"/schedule/book/{w['patient']}",
        f"/schedule/book/{w['patient']}/day",
        f"/schedule/book/{w['patient']}/course",
    ):
        html = page(client.get(url))
        assert "born Mar 14, 1958" in html and "MRN CLE-004512" in html and link in html, url
    for url in ("/", "/appointments"):  # never on the patient's own pages
        sign_in(client, "other")
        assert "MRN" not in client.get(url).get_data(as_text=True), url
