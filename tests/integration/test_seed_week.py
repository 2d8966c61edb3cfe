"""`flask seed-demo` on a first and a second run (issue 14), both databases: it says truthfully how many demo users
exist and how many it made, and books a few visits today and in the next six days relative to the clock's now
(through the booking services: each holds its reservation), so the calendar and the clinic are not empty; a re-run
books none twice. At the README's demo moment a London visit is in progress and Dr. Okafor's video visit is next."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment, Clinician, Location, Patient, Reservation
from televisit.services.seed_week import REASON

README_MOMENT = datetime.fromisoformat("2027-03-01T17:50:00+00:00")  # the README's TELEVISIT_NOW
NY = ZoneInfo("America/New_York")


@pytest.fixture
def cli(app, frozen_now):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _demo_visits() -> list[Appointment]:
    db.session.expire_all()
    stmt = select(Appointment).where(Appointment.reason == REASON).order_by(Appointment.start_at, Appointment.id)
    return list(db.session.scalars(stmt))


def test_a_rerun_says_the_demo_users_exist_and_books_nothing_twice(cli):
    first = cli("seed-demo", "--with-users")
    assert first.exit_code == 0, first.output
    assert "4 demo users (4 new)" in first.output
    visits = _demo_visits()
    assert f"{len(visits)} demo visits today and this week" in first.output and len(visits) >= 15

    second = cli("seed-demo", "--with-users")
    assert second.exit_code == 0, second.output
    assert "4 demo users (0 new)" in second.output and "0 demo users" not in second.output
    assert f"{len(visits)} demo visits today and this week" in second.output
    assert [v.id for v in _demo_visits()] == [v.id for v in visits]


def test_visits_today_and_this_week_at_every_site_each_holding_its_time(cli):
    assert cli("seed-demo", "--with-users").exit_code == 0
    now = clock.now()
    visits = _demo_visits()
    sites = {loc.id: loc for loc in db.session.scalars(select(Location))}
    days = {
        (sites[v.location_id].city, v.start_at.astimezone(ZoneInfo(sites[v.location_id].timezone)).date())
        for v in visits
    }
    today = {city for city, day in days if day == now.astimezone(NY).date()}
    assert today == {"Cleveland", "Weston", "London"}  # Monday: every site works
    assert len({day for _, day in days}) >= 5 and all(
        now - timedelta(days=1) < v.start_at < now + timedelta(days=7) for v in visits
    )
    assert any(v.start_at < now for v in visits) and any(v.start_at > now for v in visits)  # earlier today too
    held = db.session.scalar(
        select(func.count()).select_from(Reservation).where(Reservation.appointment_id.in_([v.id for v in visits]))
    )
    assert held >= len(visits) and {v.status for v in visits} == {"booked"}
    for day in {day for _, day in days}:  # one visit a day per demo patient
        mine = [v.patient_id for v in visits if v.start_at.astimezone(NY).date() == day]
        assert len(mine) == len(set(mine)), day
    okafor = db.session.scalars(select(Clinician).where(Clinician.email == "amara.okafor@demo.televisit.local")).one()
    assert any(v.clinician_id == okafor.id and v.mode == "virtual" for v in visits)  # her clinic has a video visit


def test_the_readmes_demo_moment_has_a_visit_in_progress_and_the_video_visit_next(cli):
    clock.freeze(README_MOMENT)
    assert cli("seed-demo", "--with-users").exit_code == 0
    visits = _demo_visits()
    names = dict(db.session.execute(select(Patient.id, Patient.name)).all())
    cities = dict(db.session.execute(select(Location.id, Location.city)).all())
    running = [(cities[v.location_id], names[v.patient_id]) for v in visits if v.start_at <= README_MOMENT < v.end_at]
    assert ("London", "Emma Wright") in running, running
    okafor = db.session.scalars(select(Clinician).where(Clinician.email == "amara.okafor@demo.televisit.local")).one()
    (video,) = [
        v
        for v in visits
        if v.clinician_id == okafor.id and v.mode == "virtual" and v.start_at.date() == README_MOMENT.date()
    ]
    assert names[video.patient_id] == "Morgan Avery"
    assert video.start_at.astimezone(NY).strftime("%H:%M") == "13:00"
    assert video.start_at - timedelta(minutes=30) <= README_MOMENT < video.start_at  # its waiting room is open
