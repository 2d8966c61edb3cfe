"""The waiting-room job: missed virtual visits become no-shows; checked-in patients hear "starts soon" once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import Appointment
from televisit.services.waiting_room import sweeps as waiting_sweeps
from tests import factories as f

NINE, TEN, ELEVEN = (f"2027-03-08T{h}:00:00-05:00" for h in ("09", "10", "11"))  # Monday at the Cleveland site


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _book(client, p, who: str, start: str, mode: str = "virtual") -> int:
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": mode, "start": start, "patient_id": p.users[who].patient_id}
    r = client.post("/api/v1/appointments", json=body, headers=f.token(client, "sched@example.org"))
    assert r.status_code == 201, r.json
    return r.json["id"]


def _status(appointment_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Appointment, appointment_id).status


@pytest.fixture
def day(app, client):
    """Three one-hour visits next Monday: 09:00 virtual, 10:00 in person, 11:00 virtual (checked in)."""
    p = f.program()
    ids = (
        _book(client, p, "other", NINE),
        _book(client, p, "patient", TEN, "in_person"),
        _book(client, p, "other", ELEVEN),
    )
    db.session.get(Appointment, ids[2]).status = "checked_in"
    db.session.commit()
    return ids


def test_no_shows_are_missed_virtual_visits_only_and_are_marked_once(day):
    virtual, in_person, checked_in = day
    assert waiting_sweeps.sweep_no_shows(db.session, _t("2027-03-08T09:59:59-05:00")) == []
    emits = waiting_sweeps.sweep_no_shows(db.session, _t(TEN))
    db.session.commit()
    assert [(e.event, e.data, e.room) for e in emits] == [
        ("visit_ended", {"appointment_id": virtual, "status": "no_show"}, [f"appt:{virtual}", f"visit:{virtual}"])
    ]
    assert [_status(i) for i in day] == ["no_show", "booked", "checked_in"]
    later = waiting_sweeps.sweep_no_shows(db.session, _t("2027-03-08T23:00:00-05:00"))
    assert later == []  # in person and checked-in visits are the clinic's to close
    db.session.commit()


def test_starts_soon_is_sent_once_in_the_five_minutes_before_the_start(day):
    checked_in = day[2]
    assert waiting_sweeps.starts_soon(db.session, _t("2027-03-08T10:54:59-05:00")) == []
    emits = waiting_sweeps.starts_soon(db.session, _t("2027-03-08T10:56:30-05:00"))
    db.session.commit()
    assert len(emits) == 1 and emits[0].event == "notice" and emits[0].room == f"appt:{checked_in}"
    data = emits[0].data
    assert data["appointment_id"] == checked_in and data["kind"] == "starts_soon"
    assert data["message"] == "Your visit with Dr. Cleveland starts in about 4 minutes. Please stay on this page."
    assert waiting_sweeps.starts_soon(db.session, _t("2027-03-08T10:58:00-05:00")) == []  # once only
    db.session.commit()


def test_jobs_run_once_runs_the_sweep(app, day):
    from jobs.runner import run_once

    virtual = day[0]
    clock.freeze(_t("2027-03-08T10:56:00-05:00"))
    db.session.commit()  # the jobs use their own transactions
    results = dict(run_once(app))
    assert results["waiting_room_sweep"] == {"no_show": 1, "starts_soon": 1}
    assert _status(virtual) == "no_show"
    db.session.commit()
    assert dict(run_once(app))["waiting_room_sweep"] == {}  # nothing left to do


def test_a_lone_server_clears_presence_left_by_an_earlier_run(app, day):
    from televisit.cli import _forget_stale_sockets
    from televisit.models import SocketPresence

    def stale() -> int:
        count = db.session.query(SocketPresence).count()
        db.session.commit()
        return count

    db.session.add(SocketPresence(sid="gone", kind="clinic", clinician_id=1, connected_at=_t(NINE)))
    db.session.commit()
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"  # other processes may own live sockets: keep
    _forget_stale_sockets(app)
    assert stale() == 1
    app.config["REDIS_URL"] = None  # alone: every row is from before this start
    _forget_stale_sockets(app)
    assert stale() == 0


def test_the_sockets_of_a_silent_process_are_cleared_as_disconnections(app, day):
    from televisit.models import SocketPresence, WebProcess
    from televisit.services.waiting_room.processes import clear_dead

    virtual, _, checked_in = day
    cid = db.session.get(Appointment, checked_in).clinician_id
    wall = clock.wall_now()
    db.session.add_all(
        [
            WebProcess(name="dead", started_at=wall - timedelta(minutes=9), seen_at=wall - timedelta(minutes=2)),
            WebProcess(name="alive", started_at=wall - timedelta(minutes=9), seen_at=wall),
            SocketPresence(sid="clinic", kind="clinic", clinician_id=cid, connected_at=_t(TEN), process="dead"),
            SocketPresence(
                sid="waiting", kind="patient", appointment_id=checked_in, connected_at=_t(TEN), process="dead"
            ),
            SocketPresence(
                sid="elsewhere", kind="patient", appointment_id=virtual, connected_at=_t(TEN), process="alive"
            ),
        ]
    )
    db.session.commit()
    cleared, emits = clear_dead(db.session, now=_t(TEN), wall_now=wall, stale=timedelta(minutes=1))
    db.session.commit()
    assert cleared == 2
    assert {e.event: e.room for e in emits} == {
        "waiting_list": f"clinic:{cid}",
        "clinician_status": [f"line:{cid}", f"clinic:{cid}"],
    }
    assert next(e.data for e in emits if e.event == "clinician_status")["status"] == "offline"
    assert set(db.session.scalars(select(SocketPresence.sid))) == {"elsewhere"}
    # (this test process's own heartbeat may have a row too, when an earlier test connected a socket in-process)
    assert set(db.session.scalars(select(WebProcess.name))) & {"dead", "alive"} == {"alive"}
    assert clear_dead(db.session, now=_t(TEN), wall_now=wall, stale=timedelta(minutes=1)) == (0, [])
    db.session.commit()
