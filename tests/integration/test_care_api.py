"""Care as the program gives it, through the JSON API on SQLite and PostgreSQL: rooms and machines,
site closures, joint visits, clinic days (pathways and itineraries) and radiosurgery courses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import Appointment, OutboxMessage, Reservation
from tests import factories as f

IN_PERSON = ("in_person",)
BOTH = ("virtual", "in_person")
MONDAY = "2027-03-08"  # a week after the suite's NOW (Monday 2027-03-01 12:00 UTC); US DST starts 2027-03-14


@dataclass
class Care:
    """Cleveland with one MRI scanner and one linac; a neurosurgeon, a radiation oncologist, a
    neuroradiologist; MRI, consult, joint and radiosurgery visit types; staff and a patient."""

    site: int
    mri: int
    linac: int
    neuro: int
    radonc: int
    radiology: int
    mri_type: int
    consult: int
    joint: int
    srs: int
    admin: dict
    desk: dict
    patient: dict
    patient_id: int
    radonc_headers: dict


def _put_hours(client, admin, rid, start="08:00", end="17:00"):
    rules = [{"weekday": wd, "start": start, "end": end} for wd in range(5)]
    r = client.put(f"/api/v1/resources/{rid}/availability", json={"rules": rules}, headers=admin)
    assert r.status_code == 200, r.json


def _visit_type(client, admin, name, minutes, modes, **extra):
    body = {"name": name, "duration_minutes": minutes, "modes": list(modes), "max_advance_days": 365, **extra}
    r = client.post("/api/v1/visit-types", json=body, headers=admin)
    assert r.status_code == 201, r.json
    return r.json["id"]


@pytest.fixture
def care(client) -> Care:
    site = f.location()
    f.user("admin@example.org", "admin")
    f.user("sched@example.org", "scheduler")
    patient = f.user("pat@example.org", "patient", region="US-OH")
    admin = f.token(client, "admin@example.org")
    made = {}
    for name, kind in (("MRI 1", "mri"), ("Linac 1", "linac")):
        r = client.post("/api/v1/resources", json={"name": name, "kind": kind, "location_id": site.id}, headers=admin)
        assert r.status_code == 201, r.json
        made[kind] = r.json["id"]
        _put_hours(client, admin, r.json["id"])
    mri_type = _visit_type(client, admin, "Whole-spine MRI", 60, IN_PERSON, resource_kinds=["mri"])
    consult = _visit_type(client, admin, "Consult", 30, BOTH)
    joint = _visit_type(
        client, admin, "Joint spine consult", 60, BOTH, team_specialties=["neurosurgery", "radiation_oncology"]
    )
    srs = _visit_type(client, admin, "Spine radiosurgery", 60, IN_PERSON, resource_kinds=["linac"])
    week = [(site, wd, 8 * 60, 17 * 60, BOTH) for wd in range(5)]
    vts = db.session.get
    from televisit.models import VisitType

    neuro = f.clinician("Dr. Neuro", visit_types=[vts(VisitType, consult), vts(VisitType, joint)], rules=week)
    radonc = f.clinician(
        "Dr. Rad",
        specialty="radiation_oncology",
        visit_types=[vts(VisitType, consult), vts(VisitType, joint), vts(VisitType, srs)],
        rules=week,
        email="rad@example.org",
    )
    radiology = f.clinician("Dr. Image", specialty="neuroradiology", visit_types=[vts(VisitType, mri_type)], rules=week)
    f.user("rad@example.org", "clinician")
    return Care(
        site.id,
        made["mri"],
        made["linac"],
        neuro.id,
        radonc.id,
        radiology.id,
        mri_type,
        consult,
        joint,
        srs,
        admin,
        f.token(client, "sched@example.org"),
        f.token(client, "pat@example.org"),
        patient.patient.id,
        f.token(client, "rad@example.org"),
    )


def _slots(client, visit_type_id, day=MONDAY, **params):
    q = {"visit_type_id": visit_type_id, "from": day, "to": day, "tz": "America/New_York", **params}
    r = client.get("/api/v1/slots", query_string=q)
    assert r.status_code == 200, r.json
    return r.json["slots"]


def _book(client, headers, slot, **extra):
    body = {k: slot[k] for k in ("visit_type_id", "clinician_id", "location_id", "mode", "start")}
    return client.post("/api/v1/appointments", json=body | extra, headers=headers)


# --- rooms and machines -------------------------------------------------------------------------------


def test_a_resource_visit_holds_the_scanner_and_no_second_visit_gets_it(client, care):
    slots = _slots(client, care.mri_type)
    assert slots and all(s["resource_ids"] == [care.mri] for s in slots)
    assert slots[0]["start"] == "2027-03-08T08:00:00-05:00"
    r = _book(client, care.desk, slots[0], patient_id=care.patient_id)
    assert r.status_code == 201, r.json
    assert r.json["resource_ids"] == [care.mri]
    # a second neuroradiologist would be free, but the only scanner is not: the time is gone for everyone
    second = f.clinician("Dr. Second", specialty="neuroradiology", visit_types=[], rules=[])
    assert _slots(client, care.mri_type, clinician_id=second.id) == []
    assert _slots(client, care.mri_type)[0]["start"] == "2027-03-08T09:00:00-05:00"
    held = db.session.scalar(select(func.count()).select_from(Reservation).where(Reservation.resource_id == care.mri))
    assert held == 1


def test_booking_a_taken_scanner_directly_is_refused(client, care):
    slot = _slots(client, care.mri_type)[0]
    assert _book(client, care.desk, slot, patient_id=care.patient_id).status_code == 201
    other = f.clinician("Dr. Other", specialty="neuroradiology", visit_types=[], rules=[])
    from televisit.models import AvailabilityRule, VisitType

    other.visit_types = [db.session.get(VisitType, care.mri_type)]
    other.rules = [
        AvailabilityRule(location_id=care.site, weekday=0, start_minute=480, end_minute=1020, modes=["in_person"])
    ]
    db.session.commit()
    r = _book(client, care.desk, slot | {"clinician_id": other.id}, patient_id=care.patient_id)
    assert r.status_code == 409
    assert r.json["error"]["reason"] == "no_resource"


def test_resource_time_off_over_a_booking_asks_first_then_cancels_and_tells(client, care):
    slot = _slots(client, care.mri_type)[0]
    appt = _book(client, care.desk, slot, patient_id=care.patient_id).json
    body = {"start": "2027-03-08T07:00:00-05:00", "end": "2027-03-08T12:00:00-05:00", "reason": "service"}
    r = client.post(f"/api/v1/resources/{care.mri}/time-off", json=body, headers=care.desk)
    assert r.status_code == 409 and r.json["error"]["code"] == "conflicts"
    assert r.json["appointments"] == [appt["id"]]
    r = client.post(f"/api/v1/resources/{care.mri}/time-off", json=body | {"affected": "cancel"}, headers=care.desk)
    assert r.status_code == 201 and r.json["affected"] == [appt["id"]]
    assert db.session.get(Appointment, appt["id"]).status == "cancelled"
    rules = {
        m.rule for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.appointment_id == appt["id"]))
    }
    assert "cancelled" in rules
    assert all(s["start"] >= "2027-03-08T12:00" for s in _slots(client, care.mri_type))


def test_a_site_closure_removes_the_day_and_refuses_a_booking(client, care):
    slot = _slots(client, care.consult)[0]
    r = client.post(
        f"/api/v1/locations/{care.site}/closures", json={"date": MONDAY, "reason": "Holiday"}, headers=care.desk
    )
    assert r.status_code == 201, r.json
    assert _slots(client, care.consult) == []
    r = _book(client, care.desk, slot, patient_id=care.patient_id)
    assert r.status_code == 409 and r.json["error"]["reason"] == "closed"
    r = client.post(f"/api/v1/locations/{care.site}/closures", json={"date": MONDAY}, headers=care.desk)
    assert r.status_code == 409


# --- joint visits -------------------------------------------------------------------------------------


def test_a_joint_visit_holds_both_clinicians(client, care):
    slots = _slots(client, care.joint, mode="in_person")
    assert slots[0]["clinician_ids"] == [care.neuro, care.radonc]
    r = _book(client, care.desk, slots[0], patient_id=care.patient_id)
    assert r.status_code == 201, r.json
    assert r.json["clinician_ids"] == [care.neuro, care.radonc]
    # the radiation oncologist's own consult at that time is gone, and cannot be booked directly
    rad_slots = _slots(client, care.consult, clinician_id=care.radonc)
    assert all(not ("2027-03-08T08:00" <= s["start"] < "2027-03-08T09:00") for s in rad_slots)
    direct = dict(slots[0], visit_type_id=care.consult, clinician_id=care.radonc, mode="in_person")
    refused = _book(client, care.desk, direct, patient_id=care.patient_id)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "taken"
    # and the attending (not leading) clinician sees it on their own list
    mine = client.get("/api/v1/appointments", headers=care.radonc_headers).json["appointments"]
    assert [a["id"] for a in mine] == [r.json["id"]]


def test_a_joint_visit_names_its_clinicians_in_order(client, care):
    slot = _slots(client, care.joint, mode="in_person")[0]
    wrong = _book(client, care.desk, slot, patient_id=care.patient_id, clinician_ids=[care.radonc, care.neuro])
    assert wrong.status_code == 422 and "clinician_ids" in wrong.json["error"]["fields"]
    right = _book(client, care.desk, slot, patient_id=care.patient_id, clinician_ids=[care.neuro, care.radonc])
    assert right.status_code == 201


# --- clinic days ----------------------------------------------------------------------------------------


def _pathway(client, care, **extra):
    body = {
        "name": "New spinal metastasis day",
        "steps": [
            {"visit_type_id": care.mri_type, "mode": "in_person"},
            {"visit_type_id": care.consult, "mode": "in_person"},
            {"visit_type_id": care.consult, "mode": "in_person"},
        ],
        "min_gap_minutes": 15,
        "max_gap_minutes": 120,
        **extra,
    }
    r = client.post("/api/v1/pathways", json=body, headers=care.admin)
    assert r.status_code == 201, r.json
    return r.json["id"]


def _options(client, pathway_id, **params):
    q = {"from": MONDAY, "to": "2027-03-12", "tz": "America/New_York", **params}
    r = client.get(f"/api/v1/pathways/{pathway_id}/options", query_string=q)
    assert r.status_code == 200, r.json
    return r.json["options"]


def _steps(option):
    keys = ("start", "clinician_id", "location_id", "mode", "resource_ids")
    return [{k: s[k] for k in keys} for s in option["steps"]]


def test_clinic_day_options_chain_the_steps_with_gaps_on_one_day(client, care):
    options = _options(client, _pathway(client, care))
    assert [o["date"] for o in options] == ["2027-03-08", "2027-03-09", "2027-03-10", "2027-03-11", "2027-03-12"]
    first = options[0]["steps"]
    assert [s["start"][11:16] for s in first] == ["08:00", "09:30", "10:30"]  # 15 min gap, on the grid
    assert first[0]["resource_ids"] == [care.mri]
    assert first[1]["clinician_id"] != first[2]["clinician_id"] or first[2]["start"] >= first[1]["end"]


def test_a_clinic_day_is_booked_whole_with_one_confirmation(client, care):
    pathway = _pathway(client, care)
    option = _options(client, pathway)[0]
    r = client.post(
        "/api/v1/itineraries",
        json={"pathway_id": pathway, "patient_id": care.patient_id, "steps": _steps(option)},
        headers=care.desk,
    )
    assert r.status_code == 201, r.json
    it = r.json
    assert it["status"] == "booked" and len(it["appointments"]) == 3
    assert {a["itinerary_id"] for a in it["appointments"]} == {it["id"]}
    ids = [a["id"] for a in it["appointments"]]
    notices = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.appointment_id.in_(ids), OutboxMessage.rule == "confirmation")
    )
    assert {m.appointment_id for m in notices} == {ids[0]}
    ics = client.get(f"/api/v1/itineraries/{it['id']}/calendar.ics", headers=care.desk)
    assert ics.status_code == 200
    events = [c for c in Calendar.from_ical(ics.data).walk("VEVENT")]
    assert len(events) == 3


def test_a_clinic_day_with_a_taken_step_writes_nothing_and_names_the_step(client, care):
    pathway = _pathway(client, care)
    option = _options(client, pathway)[0]
    taken = dict(option["steps"][1], visit_type_id=care.consult)
    assert _book(client, care.desk, taken, patient_id=care.patient_id).status_code == 201
    before = db.session.scalar(select(func.count()).select_from(Appointment))
    r = client.post(
        "/api/v1/itineraries",
        json={"pathway_id": pathway, "patient_id": care.patient_id, "steps": _steps(option)},
        headers=care.desk,
    )
    assert r.status_code == 409
    assert r.json["error"]["step"] == 1 and r.json["error"]["message"].startswith("Step 2")
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == before


def test_a_clinic_day_moves_and_cancels_whole(client, care):
    pathway = _pathway(client, care)
    options = _options(client, pathway)
    it = client.post(
        "/api/v1/itineraries",
        json={"pathway_id": pathway, "patient_id": care.patient_id, "steps": _steps(options[0])},
        headers=care.desk,
    ).json
    moved = client.post(
        f"/api/v1/itineraries/{it['id']}/reschedule", json={"steps": _steps(options[1])}, headers=care.desk
    )
    assert moved.status_code == 200, moved.json
    assert [a["id"] for a in moved.json["appointments"]] == [a["id"] for a in it["appointments"]]
    assert {a["start"][:10] for a in moved.json["appointments"]} == {"2027-03-09"}
    assert all(a["sequence"] == 1 for a in moved.json["appointments"])
    # Monday is free again: the same day can be booked for someone else
    assert _options(client, pathway)[0]["date"] == MONDAY
    cancelled = client.post(f"/api/v1/itineraries/{it['id']}/cancel", json={}, headers=care.desk)
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    assert {a["status"] for a in cancelled.json["appointments"]} == {"cancelled"}


def test_a_patient_books_only_a_self_bookable_day(client, care):
    closed = _pathway(client, care)
    option = _options(client, closed)[0]
    body = {"pathway_id": closed, "steps": _steps(option)}
    assert client.post("/api/v1/itineraries", json=body, headers=care.patient).status_code == 403
    open_ = _pathway(client, care, name="Second opinion day", self_bookable=True)
    r = client.post("/api/v1/itineraries", json=body | {"pathway_id": open_}, headers=care.patient)
    assert r.status_code == 201, r.json
    assert r.json["patient_id"] == care.patient_id


def test_steps_that_are_not_one_day_are_refused(client, care):
    pathway = _pathway(client, care)
    options = _options(client, pathway)
    mixed = _steps(options[0])[:2] + _steps(options[1])[2:]
    r = client.post(
        "/api/v1/itineraries",
        json={"pathway_id": pathway, "patient_id": care.patient_id, "steps": mixed},
        headers=care.desk,
    )
    assert r.status_code == 422 and "steps[2].start" in r.json["error"]["fields"]


# --- radiosurgery courses ---------------------------------------------------------------------------------


def _course_options(client, care, **params):
    q = {
        "visit_type_id": care.srs,
        "clinician_id": care.radonc,
        "location_id": care.site,
        "count": 5,
        "pattern": "weekdays",
        "from": "2027-03-11",
        "to": "2027-03-12",
        "tz": "America/New_York",
        **params,
    }
    r = client.get("/api/v1/courses/options", query_string=q, headers=care.desk)
    assert r.status_code == 200, r.json
    return r.json["options"]


def test_a_course_keeps_its_wall_time_across_the_dst_change(client, care):
    options = _course_options(client, care, limit=1)
    starts = options[0]["starts"]
    assert starts == [
        "2027-03-11T08:00:00-05:00",
        "2027-03-12T08:00:00-05:00",
        "2027-03-15T08:00:00-04:00",
        "2027-03-16T08:00:00-04:00",
        "2027-03-17T08:00:00-04:00",
    ]
    body = {
        "visit_type_id": care.srs,
        "clinician_id": care.radonc,
        "location_id": care.site,
        "patient_id": care.patient_id,
        "count": 5,
        "pattern": "weekdays",
        "first_start": starts[0],
    }
    r = client.post("/api/v1/courses", json=body, headers=care.desk)
    assert r.status_code == 201, r.json
    assert [a["start"] for a in r.json["appointments"]] == starts
    assert {a["resource_ids"][0] for a in r.json["appointments"]} == {care.linac}
    notices = db.session.scalars(select(OutboxMessage.appointment_id).where(OutboxMessage.rule == "confirmation"))
    assert set(notices) == {r.json["appointments"][0]["id"]}


def test_a_course_with_a_taken_fraction_names_the_date_and_writes_nothing(client, care):
    starts = _course_options(client, care, limit=1)[0]["starts"]
    third = {
        "visit_type_id": care.srs,
        "clinician_id": care.radonc,
        "location_id": care.site,
        "mode": "in_person",
        "start": starts[2],
    }
    assert _book(client, care.desk, third, patient_id=care.patient_id).status_code == 201
    body = {
        "visit_type_id": care.srs,
        "clinician_id": care.radonc,
        "location_id": care.site,
        "patient_id": care.patient_id,
        "count": 5,
        "pattern": "weekdays",
        "first_start": starts[0],
    }
    before = db.session.scalar(select(func.count()).select_from(Appointment))
    r = client.post("/api/v1/courses", json=body, headers=care.desk)
    assert r.status_code == 409 and r.json["error"]["code"] == "slot_unavailable"
    assert r.json["dates"] == ["2027-03-15"]
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == before
    # and the options no longer offer that course
    assert _course_options(client, care, limit=1)[0]["starts"][0] != starts[0]


def test_a_course_skips_closures_and_cancels_whole(client, care):
    client.post(f"/api/v1/locations/{care.site}/closures", json={"date": "2027-03-15"}, headers=care.desk)
    starts = _course_options(client, care, limit=1, count=3, pattern="alternate")[0]["starts"]
    assert [s[:10] for s in starts] == ["2027-03-11", "2027-03-16", "2027-03-18"]
    body = {
        "visit_type_id": care.srs,
        "clinician_id": care.radonc,
        "location_id": care.site,
        "patient_id": care.patient_id,
        "count": 3,
        "pattern": "alternate",
        "first_start": starts[0],
    }
    course = client.post("/api/v1/courses", json=body, headers=care.desk).json
    r = client.post(f"/api/v1/courses/{course['id']}/cancel", json={"reason": "plan changed"}, headers=care.desk)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert {a["status"] for a in r.json["appointments"]} == {"cancelled"}
    assert _course_options(client, care, limit=1, count=3, pattern="alternate")[0]["starts"] == starts


def test_bad_course_input_is_a_clear_422(client, care):
    r = client.get("/api/v1/courses/options", query_string={"visit_type_id": care.srs, "count": 11}, headers=care.desk)
    assert r.status_code == 422
    assert {"clinician_id", "location_id", "count", "from", "to"} <= set(r.json["error"]["fields"])


def test_staff_only_for_courses_and_resources(client, care):
    assert client.get("/api/v1/resources", headers=care.patient).status_code == 403
    assert client.get("/api/v1/courses/options", headers=care.patient).status_code == 403
    assert client.post("/api/v1/resources", json={}, headers=care.desk).status_code == 403


def test_times_are_instants_with_offsets(client, care):
    opts = _options(client, _pathway(client, care), tz="Europe/London")
    first = opts[0]["steps"][0]["start"]
    assert datetime.fromisoformat(first).utcoffset().total_seconds() == 0  # shown in London time
    assert first == "2027-03-08T13:00:00+00:00"


def test_a_refused_day_leaves_nothing_for_a_later_commit(client, care):
    """A caller that catches the refusal and commits something else (a page's audit hook) keeps nothing."""
    from televisit import clock
    from televisit.domain.errors import SlotUnavailable
    from televisit.models import User
    from televisit.services.auth import actor_of
    from televisit.services.pathways import itineraries

    pathway = _pathway(client, care)
    option = _options(client, pathway)[0]
    taken = dict(option["steps"][2], visit_type_id=care.consult)
    assert _book(client, care.desk, taken, patient_id=care.patient_id).status_code == 201
    before = db.session.scalar(select(func.count()).select_from(Appointment))
    steps = [
        itineraries.StepRequest(datetime.fromisoformat(s["start"]), s["clinician_id"], s["location_id"], s["mode"])
        for s in option["steps"]
    ]
    desk = actor_of(db.session.scalar(select(User).where(User.email == "sched@example.org")))
    with pytest.raises(SlotUnavailable):
        itineraries.book(db.session, pathway, steps, actor=desk, now=clock.now(), patient_id=care.patient_id)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == before


def test_one_step_of_a_day_or_one_fraction_is_not_changed_alone(client, care):
    pathway = _pathway(client, care)
    options = _options(client, pathway)
    it = client.post(
        "/api/v1/itineraries",
        json={"pathway_id": pathway, "patient_id": care.patient_id, "steps": _steps(options[0])},
        headers=care.desk,
    ).json
    step = it["appointments"][1]
    moved = client.post(
        f"/api/v1/appointments/{step['id']}/reschedule",
        json={"start": options[1]["steps"][1]["start"]},
        headers=care.desk,
    )
    assert moved.status_code == 409 and moved.json["error"]["code"] == "part_of_itinerary"
    assert moved.json["itinerary_id"] == it["id"]
    cancelled = client.post(f"/api/v1/appointments/{step['id']}/cancel", json={}, headers=care.desk)
    assert cancelled.status_code == 409 and cancelled.json["error"]["code"] == "part_of_itinerary"
    waiting = client.post(f"/api/v1/appointments/{step['id']}/waitlist", headers=care.patient)
    assert waiting.status_code == 409 and waiting.json["error"]["code"] == "part_of_itinerary"
    starts = _course_options(client, care, limit=1, count=3)[0]["starts"]
    body = {
        "visit_type_id": care.srs,
        "clinician_id": care.radonc,
        "location_id": care.site,
        "patient_id": care.patient_id,
        "count": 3,
        "pattern": "weekdays",
        "first_start": starts[0],
    }
    course = client.post("/api/v1/courses", json=body, headers=care.desk).json
    fraction = course["appointments"][0]["id"]
    r = client.post(f"/api/v1/appointments/{fraction}/cancel", json={}, headers=care.desk)
    assert r.status_code == 409 and r.json["error"]["code"] == "part_of_course"
    assert r.json["course_id"] == course["id"]
    # nothing changed: every step and fraction is still booked where it was
    again = client.get(f"/api/v1/itineraries/{it['id']}", headers=care.desk).json
    assert [(a["status"], a["start"]) for a in again["appointments"]] == [
        ("booked", a["start"]) for a in it["appointments"]
    ]
    statuses = db.session.scalars(select(Appointment.status).where(Appointment.course_id == course["id"]))
    assert set(statuses) == {"booked"}
