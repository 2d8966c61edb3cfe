"""`flask seed-demo` and care as the program gives it (both databases): scanners and linacs with weekday hours,
the joint, MRI and radiosurgery visit types, the two clinic-day pathways, clinicians who give every step, days
and courses on offer in the next weeks, and demo patients' courses of 1, 3 and 5 fractions and clinic days,
all booked through the booking services; a second run changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from televisit.extensions import db
from televisit.models import (
    Appointment,
    Clinician,
    Course,
    Itinerary,
    Location,
    Pathway,
    Patient,
    Reservation,
    Resource,
    ResourceRule,
    VisitType,
)

CARE = (Resource, ResourceRule, Pathway, Course, Itinerary, Appointment, Patient, Reservation)


@pytest.fixture
def cli(app, frozen_now):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _counts() -> dict:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in CARE}


def _vt(name: str) -> VisitType:
    return db.session.scalars(select(VisitType).where(VisitType.name == name)).one()


def _pathway(name: str) -> Pathway:
    return db.session.scalars(select(Pathway).where(Pathway.name == name)).one()


def test_seed_demo_adds_scanners_linacs_joint_visits_pathways_and_courses_and_stays_idempotent(cli):
    first = cli("seed-demo")
    assert first.exit_code == 0, first.output
    assert "5 resources, 2 pathways, 3 demo courses, 1 demo clinic days" in first.output
    sites = dict(db.session.execute(select(Location.id, Location.city)).all())
    held = {(sites[r.location_id], r.kind) for r in db.session.scalars(select(Resource))}
    assert held == {(c, "mri") for c in ("Cleveland", "Weston", "London")} | {
        ("Cleveland", "linac"),
        ("London", "linac"),
    }
    for res in db.session.scalars(select(Resource)):
        assert sorted(r.weekday for r in res.rules) == [0, 1, 2, 3, 4]
    assert _vt("Joint spine consultation").team_specialties == ["neurosurgery", "radiation_oncology"]
    assert _vt("Whole-spine MRI").resource_kinds == ["mri"]
    assert _vt("Radiosurgery treatment").resource_kinds == ["linac"]
    metastasis, second = _pathway("New spinal metastasis day"), _pathway("Second opinion day")
    names = {vt.id: vt.name for vt in db.session.scalars(select(VisitType))}
    assert [names[s["visit_type_id"]] for s in metastasis.steps] == [
        "Whole-spine MRI",
        "Neurosurgery consultation",
        "Radiation oncology consultation",
    ]
    assert [names[s["visit_type_id"]] for s in second.steps] == [
        "Imaging review (in clinic)",
        "Neurosurgery consultation",
    ]
    assert (metastasis.self_bookable, second.self_bookable) == (False, True)
    offered = {
        vt.name: {c.specialty for c in db.session.scalars(select(Clinician)) if vt in c.visit_types}
        for vt in db.session.scalars(select(VisitType))
    }
    assert {"neurosurgery", "radiation_oncology"} <= offered["Joint spine consultation"]
    assert offered["Neurosurgery consultation"] == {"neurosurgery"}
    assert offered["Radiation oncology consultation"] == {"radiation_oncology"}
    assert offered["Whole-spine MRI"] == {"neuroradiology"}

    # demo patients' courses of 1, 3 and 5 fractions, each holding a linac, and one clinic day
    courses = list(db.session.scalars(select(Course).order_by(Course.count)))
    assert [c.count for c in courses] == [1, 3, 5] and {c.status for c in courses} == {"booked"}
    linacs = {r.id for r in db.session.scalars(select(Resource).where(Resource.kind == "linac"))}
    for course in courses:
        fractions = list(db.session.scalars(select(Appointment).where(Appointment.course_id == course.id)))
        assert len(fractions) == course.count and all(set(a.held_resource_ids) <= linacs for a in fractions)
    (day,) = db.session.scalars(select(Itinerary))
    assert day.pathway_id == metastasis.id
    steps = list(db.session.scalars(select(Appointment).where(Appointment.itinerary_id == day.id)))
    assert len(steps) == 3 and {a.location_id for a in steps} == {steps[0].location_id}

    counts = _counts()
    kept = (Resource, Pathway, Course, Itinerary, Patient)  # updated in place, not re-created (hours are replaced)
    ids = {m.__name__: list(db.session.scalars(select(m.id).order_by(m.id))) for m in kept}
    second_run = cli("seed-demo")
    assert second_run.exit_code == 0, second_run.output
    db.session.expire_all()
    assert _counts() == counts
    assert {m.__name__: list(db.session.scalars(select(m.id).order_by(m.id))) for m in kept} == ids


def test_the_demo_offers_days_joint_visits_and_courses_in_the_next_weeks(cli, app):
    assert cli("seed-demo").exit_code == 0
    client = app.test_client()
    for name in ("New spinal metastasis day", "Second opinion day"):
        q = {"from": "2027-03-02", "to": "2027-03-29", "tz": "America/New_York"}
        options = client.get(f"/api/v1/pathways/{_pathway(name).id}/options", query_string=q).json["options"]
        assert len(options) >= 4, name
    q = {"visit_type_id": _vt("Joint spine consultation").id, "from": "2027-03-08", "to": "2027-03-19"}
    slots = client.get("/api/v1/slots", query_string=q | {"mode": "in_person"}).json["slots"]
    assert slots and all(len(s["clinician_ids"]) == 2 for s in slots)
    q = {"visit_type_id": _vt("Whole-spine MRI").id, "from": "2027-03-08", "to": "2027-03-12", "mode": "in_person"}
    mri = client.get("/api/v1/slots", query_string=q).json["slots"]
    assert {s["location_id"] for s in mri} == set(db.session.scalars(select(Location.id)))


def test_with_users_the_demo_patient_has_a_second_opinion_day_and_a_rerun_adds_nothing(cli):
    assert cli("seed-demo", "--with-users").exit_code == 0
    pat = db.session.scalars(select(Patient).where(Patient.email == "patient@demo.televisit.local")).one()
    (day,) = db.session.scalars(select(Itinerary).where(Itinerary.patient_id == pat.id))
    assert day.pathway_id == _pathway("Second opinion day").id
    counts = _counts()
    assert cli("seed-demo", "--with-users").exit_code == 0
    db.session.expire_all()
    assert _counts() == counts
