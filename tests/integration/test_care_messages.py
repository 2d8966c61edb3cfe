"""A clinic day and a treatment course as the patient hears of them, through the jobs process (both databases):
the fake Twilio and the local SMTP server receive ONE confirmation (email + SMS) for a whole day, with every
step's time and place, one .ics with a VEVENT per step, and one set of reminders; moving the day withdraws and
replans; cancelling it sends one cancellation; a course's confirmation lists every date and each visit's
reminder speaks of that visit. No SMS carries a clinical word ("MRI", "radiosurgery", a clinician's name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment, AvailabilityRule, OutboxMessage, VisitType
from televisit.services.messaging.messages import appointment_links, settings_from
from tests import factories as f
from tests.conftest import UK_PHONE
from tests.integration.test_sms_content import SIGNED_TOKEN, assert_discreet
from tests.support.mailparts import only_part, text_of

PATIENT = "lou@example.org"
IN_PERSON, BOTH = ("in_person",), ("virtual", "in_person")
MRI_NOTE = "Please arrive 15 minutes early; leave metal objects at home; bring any previous scans."


@dataclass
class Program:
    """A Cleveland site named as such programs are named, a scanner and a linac, the visit types of a clinic
    day and of radiosurgery, the clinicians who give them, the desk, and a London patient with a phone."""

    client: object
    desk: dict
    site: int
    pathway: int
    srs: int
    radonc: int
    patient_id: int


def _post(client, path, body, headers, status=201):
    r = client.post(path, json=body, headers=headers)
    assert r.status_code == status, r.json
    return r.json


def _resource(client, admin, name, kind, site) -> int:
    rid = _post(client, "/api/v1/resources", {"name": name, "kind": kind, "location_id": site}, admin)["id"]
    rules = [{"weekday": wd, "start": "07:00", "end": "18:00"} for wd in range(5)]
    r = client.put(f"/api/v1/resources/{rid}/availability", json={"rules": rules}, headers=admin)
    assert r.status_code == 200, r.json
    return rid


def _visit_type(client, admin, name, minutes, modes, **extra) -> VisitType:
    body = {"name": name, "duration_minutes": minutes, "modes": list(modes), "max_advance_days": 365, **extra}
    return db.session.get(VisitType, _post(client, "/api/v1/visit-types", body, admin)["id"])


@pytest.fixture
def program(messaging) -> Program:
    client = messaging.client
    site = f.location("Cleveland Spine Tumor Center")
    f.user("admin@example.org", "admin")
    f.user("sched@example.org", "scheduler")
    lou = f.user(PATIENT, "patient", tz="Europe/London", region="GB", name="Lou London")
    lou.patient.phone = UK_PHONE
    db.session.commit()
    admin = f.token(client, "admin@example.org")
    _resource(client, admin, "MRI 1", "mri", site.id)
    _resource(client, admin, "Linac 1", "linac", site.id)
    mri = _visit_type(client, admin, "Whole-spine MRI", 60, IN_PERSON, resource_kinds=["mri"])
    neuro_vt = _visit_type(client, admin, "Neurosurgery consultation", 45, BOTH)
    radonc_vt = _visit_type(client, admin, "Radiation oncology consultation", 45, BOTH)
    srs = _visit_type(client, admin, "Spine radiosurgery", 60, IN_PERSON, resource_kinds=["linac"])
    week = [(site, wd, 8 * 60, 17 * 60, BOTH) for wd in range(5)]
    f.clinician("Dr. Grace Kim", specialty="neuroradiology", visit_types=[mri], rules=week)
    f.clinician("Dr. Amara Okafor", specialty="neurosurgery", visit_types=[neuro_vt], rules=week)
    radonc = f.clinician("Dr. Helen Cho", specialty="radiation_oncology", visit_types=[radonc_vt, srs], rules=week)
    steps = [{"visit_type_id": vt.id, "mode": "in_person"} for vt in (mri, neuro_vt, radonc_vt)]
    body = {"name": "New spinal metastasis day", "steps": steps, "min_gap_minutes": 15, "max_gap_minutes": 120}
    pathway = _post(client, "/api/v1/pathways", body, admin)["id"]
    assert db.session.scalars(select(AvailabilityRule)).first() is not None
    desk = f.token(client, "sched@example.org")
    return Program(client, desk, site.id, pathway, srs.id, radonc.id, lou.patient_id)


def _options(p: Program, first="2027-03-08", last="2027-03-12") -> list[dict]:
    q = {"from": first, "to": last, "tz": "America/New_York"}
    r = p.client.get(f"/api/v1/pathways/{p.pathway}/options", query_string=q)
    assert r.status_code == 200, r.json
    return r.json["options"]


def _steps(option: dict) -> list[dict]:
    keys = ("start", "clinician_id", "location_id", "mode", "resource_ids")
    return [{k: s[k] for k in keys} for s in option["steps"]]


def _book_day(p: Program, option: dict) -> dict:
    body = {"pathway_id": p.pathway, "patient_id": p.patient_id, "steps": _steps(option)}
    return _post(p.client, "/api/v1/itineraries", body, p.desk)


def _at(instant: str) -> None:
    clock.freeze(datetime.fromisoformat(instant))


def _rows(**where) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)))


def _clocks(option: dict) -> list[str]:
    """Each step's time as messages give it to the London patient: 'HH:MM EST (HH:MM GMT your time)'."""
    out = []
    for step in option["steps"]:
        start = datetime.fromisoformat(step["start"])
        out.append(f"{start:%H:%M} EST ({start.astimezone(timezone.utc):%H:%M} GMT your time)")
    return out


def _events(msg) -> list:
    return list(Calendar.from_ical(text_of(msg, "text/calendar")).walk("VEVENT"))


def test_a_clinic_day_is_told_once_with_every_step_and_one_calendar_file(messaging, program):
    option = _options(program)[0]
    it = _book_day(program, option)
    ids = [a["id"] for a in it["appointments"]]
    messaging.run_jobs()

    (sms,) = messaging.twilio.bodies_to(UK_PHONE)
    assert_discreet(sms)
    assert "your clinic day in Cleveland is booked for Mon 8 Mar 2027: 3 visits" in sms
    clocks = _clocks(option)
    assert f"at {clocks[0]}, {clocks[1]} and {clocks[2]}." in sms, sms
    read = SIGNED_TOKEN.sub(r"\1<token>", sms).lower()  # a link's random token may spell "mri" by chance
    assert "mri" not in read and "radiosurg" not in read

    (mail,) = messaging.smtp.recorder.to(PATIENT)
    assert mail["Subject"] == "Your clinic day is booked: Mon 8 Mar 2027"
    text = text_of(mail, "text/plain")
    assert "Your clinic day is booked: 3 visits on one day, at one site." in text
    assert f"1. {clocks[0]}: Whole-spine MRI with Dr. Grace Kim" in text
    assert f"3. {clocks[2]}: Radiation oncology consultation with Dr. Helen Cho" in text
    assert "Where: Cleveland Spine Tumor Center, Cleveland" in text and MRI_NOTE in text
    assert "Cancel the whole day:" in text and "Reschedule:" not in text
    assert MRI_NOTE in text_of(mail, "text/html")
    assert only_part(mail, "text/calendar").get_param("method") == "REQUEST"
    events = _events(mail)
    assert len(events) == 3 and [str(e["status"]) for e in events] == ["CONFIRMED"] * 3
    assert [str(e["summary"]) for e in events][0] == "Whole-spine MRI with Dr. Grace Kim"

    # one set of reminders, keyed to the first step: nothing on the others
    assert {r.appointment_id for r in _rows()} == {ids[0]}
    assert sorted((r.rule, r.channel) for r in _rows(status="pending")) == [
        ("2h", "sms"),
        ("48h", "email"),
        ("48h", "sms"),
    ]
    first = datetime.fromisoformat(option["steps"][0]["start"])
    _at((first - timedelta(days=2)).isoformat())  # 48 h before the first step
    messaging.run_jobs()
    assert len(messaging.smtp.recorder.to(PATIENT)) == 2 and len(messaging.twilio.bodies_to(UK_PHONE)) == 2
    reminder = messaging.twilio.bodies_to(UK_PHONE)[-1]
    assert_discreet(reminder)
    assert "reminder of your clinic day in Cleveland on Mon 8 Mar 2027: 3 visits" in reminder
    assert clocks[1] in reminder
    mail = messaging.smtp.recorder.to(PATIENT)[-1]
    assert mail["Subject"] == "Reminder: your clinic day on Mon 8 Mar 2027"
    assert f"2. {clocks[1]}: Neurosurgery consultation with Dr. Amara Okafor" in text_of(mail, "text/plain")
    _at((first - timedelta(hours=2)).isoformat())  # 2 h before
    messaging.run_jobs()
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 3 and len(messaging.smtp.recorder.to(PATIENT)) == 2
    assert_discreet(messaging.twilio.bodies_to(UK_PHONE)[-1])


def test_moving_a_day_withdraws_its_reminders_and_tells_the_new_day_once(messaging, program):
    options = _options(program)
    it = _book_day(program, options[0])
    first = it["appointments"][0]["id"]
    messaging.run_jobs()
    r = program.client.post(
        f"/api/v1/itineraries/{it['id']}/reschedule", json={"steps": _steps(options[1])}, headers=program.desk
    )
    assert r.status_code == 200, r.json
    assert {m.rule for m in _rows(appointment_id=first, status="withdrawn")} == {"48h", "2h"}
    pending = _rows(status="pending")
    assert {(m.rule, m.sequence) for m in pending} == {("moved", 1), ("48h", 1), ("2h", 1)}
    assert {m.appointment_id for m in pending} == {first}
    messaging.run_jobs()
    sms = messaging.twilio.bodies_to(UK_PHONE)
    assert len(sms) == 2
    assert_discreet(sms[-1])
    assert "your clinic day in Cleveland has moved to Tue 9 Mar 2027: 3 visits" in sms[-1]
    mails = messaging.smtp.recorder.to(PATIENT)
    assert len(mails) == 2 and mails[-1]["Subject"] == "Your clinic day has moved: Tue 9 Mar 2027"
    events = _events(mails[-1])
    assert len(events) == 3 and {int(e["sequence"]) for e in events} == {1}
    assert {str(e["uid"]) for e in events} == {str(e["uid"]) for e in _events(mails[0])}  # the same entries, updated
    old, new = (datetime.fromisoformat(o["steps"][0]["start"]) - timedelta(days=2) for o in options[:2])
    _at(old.isoformat())  # the old day's 48 h: nothing goes out any more
    messaging.run_jobs()
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 2
    _at(new.isoformat())  # the new day's 48 h reminder
    messaging.run_jobs()
    assert "on Tue 9 Mar 2027" in messaging.twilio.bodies_to(UK_PHONE)[-1]


def test_cancelling_a_day_sends_one_cancellation_for_the_whole_day(messaging, program):
    it = _book_day(program, _options(program)[0])
    messaging.run_jobs()
    _post(program.client, f"/api/v1/itineraries/{it['id']}/cancel", {"reason": "seen locally"}, program.desk, 200)
    assert not _rows(status="pending") or {m.rule for m in _rows(status="pending")} == {"cancelled"}
    messaging.run_jobs()
    sms = messaging.twilio.bodies_to(UK_PHONE)
    assert len(sms) == 2
    assert_discreet(sms[-1])
    assert "your clinic day in Cleveland on Mon 8 Mar 2027 is cancelled (all 3 visits)" in sms[-1]
    mails = messaging.smtp.recorder.to(PATIENT)
    assert len(mails) == 2 and mails[-1]["Subject"] == "Your clinic day is cancelled: Mon 8 Mar 2027"
    assert only_part(mails[-1], "text/calendar").get_param("method") == "CANCEL"
    assert [str(e["status"]) for e in _events(mails[-1])] == ["CANCELLED"] * 3
    assert "seen locally" not in text_of(mails[-1], "text/plain")
    _at("2027-03-06T16:00:00+00:00")  # when the day's 48 h reminders would have gone
    messaging.run_jobs()
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 2 and len(messaging.smtp.recorder.to(PATIENT)) == 2


def test_a_course_confirmation_lists_every_date_and_each_reminder_speaks_of_its_visit(messaging, program):
    body = {
        "visit_type_id": program.srs,
        "clinician_id": program.radonc,
        "location_id": program.site,
        "patient_id": program.patient_id,
        "count": 3,
        "pattern": "weekdays",
        "first_start": "2027-03-08T08:00:00-05:00",
    }
    course = _post(program.client, "/api/v1/courses", body, program.desk)
    messaging.run_jobs()
    (sms,) = messaging.twilio.bodies_to(UK_PHONE)
    assert_discreet(sms)
    assert "your 3 visits in Cleveland are booked:" in sms
    for day in ("Mon 8 Mar 2027", "Tue 9 Mar 2027", "Wed 10 Mar 2027"):
        assert f"{day}, 08:00 EST ({day}, 13:00 GMT your time)" in sms, sms
    (mail,) = messaging.smtp.recorder.to(PATIENT)
    text = text_of(mail, "text/plain")
    assert "Your spine radiosurgery is booked: 3 visits, each at the same time of day." in text
    assert "3. Wed 10 Mar 2027, 08:00 EST (Wed 10 Mar 2027, 13:00 GMT your time)" in text
    assert len(_events(mail)) == 3
    # each visit has its own reminders
    assert len({m.appointment_id for m in _rows(rule="48h")}) == 3
    _at("2027-03-07T13:00:00+00:00")  # 48 h before the second visit
    messaging.run_jobs()
    reminder = messaging.twilio.bodies_to(UK_PHONE)[-1]
    assert_discreet(reminder)
    assert "reminder of your visit 2 of 3 in Cleveland on Tue 9 Mar 2027, 08:00 EST" in reminder
    mail = messaging.smtp.recorder.to(PATIENT)[-1]
    assert mail["Subject"].startswith("Reminder: your visit 2 of 3 on Tue 9 Mar 2027")
    assert "visit 2 of 3 of your spine radiosurgery" in text_of(mail, "text/plain")
    desk = f.token(program.client, "sched@example.org")  # a fresh token: the clock has moved on
    _post(program.client, f"/api/v1/courses/{course['id']}/cancel", {}, desk, 200)
    messaging.run_jobs()
    cancelled = messaging.twilio.bodies_to(UK_PHONE)[-1]
    assert_discreet(cancelled)
    assert "your 3 visits in Cleveland from" in cancelled and "are cancelled" in cancelled


def test_the_links_of_a_day_show_the_whole_day_and_cancel_it_whole(messaging, program):
    it = _book_day(program, _options(program)[0])
    messaging.run_jobs()
    text = text_of(messaging.smtp.recorder.to(PATIENT)[0], "text/plain")
    view = urlsplit(re.search(r"View or confirm:\s+(\S+)", text).group(1)).path
    cancel = urlsplit(re.search(r"Cancel the whole day:\s+(\S+)", text).group(1)).path
    client = messaging.client
    page = client.get(view).get_data(as_text=True)
    assert "Your clinic day, Mon 8 Mar 2027" in page and "Radiation oncology consultation" in page
    assert "Choose another time" not in page and "Cancel the whole day" in page
    ics = client.get(view + "/calendar.ics")
    assert ics.status_code == 200 and len(list(Calendar.from_ical(ics.data).walk("VEVENT"))) == 3
    first = db.session.get(Appointment, it["appointments"][0]["id"])
    reschedule = urlsplit(appointment_links(settings_from(messaging.app.config), first)["reschedule"]).path
    assert "moves as a whole" in client.get(reschedule).get_data(as_text=True)
    assert client.post(reschedule, data={"start": "2027-03-09T14:00:00+00:00"}).status_code == 409
    assert "Cancel the whole day?" in client.get(cancel).get_data(as_text=True)
    done = client.post(cancel, data={"reason": "feeling better"})
    assert done.status_code == 200 and "Your clinic day is cancelled" in done.get_data(as_text=True)
    db.session.expire_all()
    assert {db.session.get(Appointment, a["id"]).status for a in it["appointments"]} == {"cancelled"}
    messaging.run_jobs()
    assert len(messaging.twilio.bodies_to(UK_PHONE)) == 2  # the confirmation, then ONE cancellation
