"""Two web processes and the jobs code path sharing Redis (and PostgreSQL): events cross processes.

The patient is connected to server 1, the clinician to server 2; what the clinician does on 2 reaches the
patient on 1, and a notice emitted by the jobs' write-only Redis emitter (here, in the test process)
reaches the patient too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from televisit import clock
from tests.conftest import REDIS_URL, service_missing
from tests.support.waiting_world import at, live_server, world


def _redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"


@pytest.fixture(scope="module")
def pair():
    problem = _redis_problem()
    if problem:
        service_missing(problem)
    with live_server("postgresql", redis_url=REDIS_URL, servers=2) as servers:
        yield servers


@pytest.fixture
def w(pair):
    yield from world(pair[0])


def test_the_clinician_on_one_process_reaches_patients_on_another(w, pair):
    one, two = pair[0].server, pair[1].server
    a, b = w.book("ada", "09:10"), w.book("bob", "09:20")
    clinic = w.peer("doc", server=two)
    clinic.call("join_clinic", {})
    ada, bob = w.peer("ada", server=one), w.peer("bob", server=one)
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    assert bob.call("check_in", {"appointment_id": b})["queue"]["position"] == 2
    listing = clinic.wait("waiting_list", lambda d: len(d["patients"]) == 2)  # emitted on 1, delivered on 2
    assert [p["appointment_id"] for p in listing["patients"]] == [a, b]

    mark = bob.mark()
    assert clinic.call("running_late", {"minutes": 10})["ok"] is True
    late = bob.wait("clinician_status", lambda d: d["status"] == "running_late", since=mark)
    assert late == {"status": "running_late", "minutes": 10}
    assert bob.wait("queue", lambda d: d["late_minutes"] == 10, since=mark)["position"] == 2

    assert clinic.call("admit", {"appointment_id": a})["ok"] is True
    assert ada.wait("admitted") == {"appointment_id": a, "visit_url": f"{two.url}/waiting-room/{a}?view=visit"}
    assert bob.wait("queue", lambda d: d["position"] == 1)["clinician_status"] == "in_visit"
    assert w.appointment(a)["status"] == "in_visit"

    # the visit itself: patient on 1, clinician on 2
    assert ada.call("join_visit", {"appointment_id": a})["role"] == "patient"
    assert clinic.call("join_visit", {"appointment_id": a})["role"] == "clinician"
    assert clinic.call("signal", {"appointment_id": a, "kind": "offer", "data": {"sdp": "v=0"}})["ok"] is True
    assert ada.wait("signal")["from"] == "clinician"


def test_the_jobs_write_only_emitter_reaches_a_patient_through_redis(w, pair):
    from jobs.definitions import waiting_room_sweep
    from televisit.adapters.socket_emitter import jobs_emitter

    app = pair[0].app
    a = w.book("ada", "09:30")
    ada = w.peer("ada", server=pair[0].server)
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True

    app.config["REDIS_URL"] = REDIS_URL  # the jobs process's configuration
    try:
        emitter = jobs_emitter(app)
        assert emitter.socketio.server.manager.write_only is True  # a pure publisher, no listener
        clock.freeze(at("09:30") - timedelta(minutes=4))
        result = waiting_room_sweep(app)  # commits, then emits through Redis
    finally:
        clock.reset()
        app.config["REDIS_URL"] = None
    assert result == {"no_show": 0, "starts_soon": 1}
    notice = ada.wait("notice")
    assert notice["appointment_id"] == a and notice["kind"] == "starts_soon"
    assert "Dr. Cleveland" in notice["message"] and "4 minutes" in notice["message"]


def test_a_deployment_on_another_channel_of_the_same_redis_hears_nothing(w, pair):
    from flask_socketio import SocketIO

    from televisit.adapters.socket_emitter import NAMESPACE, SocketEmitter, jobs_emitter

    a = w.book("ada", "09:30")
    ada = w.peer("ada", server=pair[0].server)
    assert ada.call("check_in", {"appointment_id": a})["ok"] is True
    room, notice = f"appt:{a}", {"appointment_id": a, "kind": "starts_soon", "message": "x"}
    stranger = SocketEmitter(SocketIO(message_queue=REDIS_URL, channel="televisit-someone-else"))
    mark = ada.mark()
    stranger.socketio.emit("notice", {**notice, "message": "from elsewhere"}, to=room, namespace=NAMESPACE)
    pair[0].app.config["REDIS_URL"] = REDIS_URL
    try:  # then one on our own channel: once it has arrived, the stranger's would have too
        jobs_emitter(pair[0].app).socketio.emit("notice", notice, to=room, namespace=NAMESPACE)
    finally:
        pair[0].app.config["REDIS_URL"] = None
    assert ada.wait("notice", since=mark)["message"] == "x"
    assert [d["message"] for d in ada.got("notice", since=mark)] == ["x"]
