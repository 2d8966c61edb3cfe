"""Faults of the production shape (issue 17): a socket process killed with -9 loses no state.

One stack (scripts/stack.sh, as in test_stack_smoke.py: its own ports, run directory, database and Redis channel),
started once for this module with its clock at 09:05 on a clinic Monday and every web process beating each second
(TELEVISIT_WAITING_HEARTBEAT_SECONDS=1, so a silent process is dead after 4 s rather than a minute). The clinic
(a clinician, three patients booked at 09:10, 09:20 and 09:30) is written into the stack's database from this
process, through the booking service with a clock the day before (as tests/support/waiting_world.py does).

Three patients are pinned by nginx's route cookie to socket process A and check in (places 1, 2, 3 in one line),
their clinician to B. A is killed with SIGKILL (master and worker: nothing of it runs a disconnect handler). Each
patient's client reconnects by itself with the same cookie through nginx, which must send it to B (A refuses the
connection: `proxy_next_upstream`'s default `error` moves the request to the next server of the hash upstream), and
checks in again as static/js/waiting_room.js `resume()` does: same places, same check-in times. The clinician,
never disconnected, still sees all three waiting; the jobs process's waiting-room sweep clears A's presence rows
and heartbeat, and the list the clinic gets then still shows the three connected (their sockets on B).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import make_url, select

from tests import factories as f
from tests.conftest import PG_ADMIN_URL, service_missing
from tests.stack.test_stack_smoke import Stack, _alive, _pids_under, missing_service, wait_until
from tests.support.live_server import NS, Peer

pytestmark = [pytest.mark.stack, pytest.mark.slow]

NY = ZoneInfo("America/New_York")
CLOCK = datetime(2027, 3, 1, 9, 5, tzinfo=NY)  # a Monday; the waiting room opens 30 minutes before a visit
VISITS = {"ada": "09:10", "bob": "09:20", "cy": "09:30"}
SWEEP_WAIT = 50  # the jobs' waiting_room_sweep runs every 30 s; a process is dead after 4 silent beats (4 s here)


@pytest.fixture(scope="module")
def stack():
    problem = missing_service()
    if problem:
        service_missing(problem)
    s = Stack()
    try:
        s.start(CLOCK, STACK_SEED="0", TELEVISIT_WAITING_HEARTBEAT_SECONDS="1")  # no demo program: ours below
        yield s
    finally:
        s.remove()


@pytest.fixture(scope="module")
def app(stack):
    """An app in this process on the stack's database (the test writes the clinic and reads presence rows)."""
    from televisit.extensions import db
    from tests.conftest import _make_app

    url = make_url(PG_ADMIN_URL).set(database=stack.db).render_as_string(hide_password=False)
    application = _make_app(url)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def build_clinic(app) -> dict:
    """A clinician (10-minute video visits, Mondays 08:00-12:00) and three Ohio patients booked with them."""
    from televisit.extensions import db
    from televisit.services.auth import actor_of
    from televisit.services.booking import appointments as booking
    from televisit.services.booking.check import SlotRequest

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        site = f.location(name=f"Fault clinic {tag}")
        quick = f.visit_type(f"Quick check {tag}", minutes=10)
        rules = [(site, 0, 8 * 60, 12 * 60, ("virtual", "in_person"))]
        doc = f.clinician(f"Dr. Fault {tag}", visit_types=[quick], rules=rules, email=f"doc-{tag}@x.org")
        f.user(f"doc-{tag}@x.org", "clinician", name=f"Dr. Fault {tag}")
        scheduler = actor_of(f.user(f"sched-{tag}@x.org", "scheduler"))
        emails = {"doc": f"doc-{tag}@x.org"}
        appointments = {}
        for who, hhmm in VISITS.items():
            emails[who] = f"{who}-{tag}@x.org"
            patient = f.user(emails[who], "patient", region="US-OH", name=who.title())
            start = datetime.fromisoformat(f"{CLOCK.date()}T{hhmm}:00").replace(tzinfo=NY)
            slot = SlotRequest(quick.id, doc.id, site.id, "virtual", start, patient_region="US-OH")
            req = booking.BookingRequest(slot, patient_id=patient.patient_id)
            appointments[who] = booking.book(db.session, req, actor=scheduler, now=CLOCK - timedelta(days=1)).id
            db.session.commit()
        db.session.remove()
    return {"emails": emails, "appointments": appointments}


def presence(app) -> list[tuple[str, str, int | None]]:
    """(kind, process, appointment id) of every socket the database holds."""
    from televisit.extensions import db
    from televisit.models import SocketPresence

    with app.app_context():
        rows = db.session.execute(
            select(SocketPresence.kind, SocketPresence.process, SocketPresence.appointment_id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def beating(app) -> set[str]:
    from televisit.extensions import db
    from televisit.models import WebProcess

    with app.app_context():
        names = set(db.session.scalars(select(WebProcess.name)))
        db.session.remove()
    return names


def connect_patient(stack: Stack, email: str, route: str, *, polling: bool) -> Peer:
    """A patient's client pinned by `route` (a browser: long-polling then the upgrade; else a WebSocket at once),
    reconnecting by itself as the page's client does."""
    token = requests_token(stack, email, f.PASSWORD)
    peer = Peer(
        stack.url,
        auth={"token": token},
        headers={"Cookie": f"televisit_route={route}"},
        name=email,
        reconnection=True,
    )
    transports = ["polling", "websocket"] if polling else ["websocket"]
    peer.sio.connect(stack.url, auth=peer.auth, headers=peer.headers, namespaces=[NS], transports=transports)
    if polling:
        wait_until(lambda: peer.sio.transport() == "websocket", what=f"{email}'s upgrade to a WebSocket")
    return peer


def requests_token(stack: Stack, email: str, password: str) -> str:
    r = stack.api("POST", "/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def kill_process_group(stack: Stack, name: str) -> set[int]:
    """SIGKILL a gunicorn master and its worker at once (launched with setsid: its pid is the group's id)."""
    pid = stack.pid(name)
    pids = _pids_under(pid)
    os.killpg(pid, signal.SIGKILL)
    wait_until(lambda: not any(_alive(p) for p in pids), what=f"{name} gone after SIGKILL")
    return pids


def nginx_lines_since(stack: Stack, offset: int, path: str) -> list[str]:
    with open(stack.dir / "logs" / path, errors="replace") as fh:
        fh.seek(offset)
        return fh.read().splitlines()


def socket_requests(lines: list[str]) -> list[tuple[str, list[int]]]:
    """(status, upstream ports tried in order) of each /socket.io/ request in nginx's access log lines (format
    `televisit` of deploy/nginx/televisit.conf: ... status bytes request_time upstream_addr request_id)."""
    out = []
    for line in lines:
        found = re.search(r'"\S+ /socket\.io/" (\d{3}) \d+ \S+ (.+) \S+$', line)
        if found:
            out.append((found[1], [int(addr.rsplit(":", 1)[1]) for addr in found[2].split(", ")]))
    return out


@pytest.mark.timeout(600)  # about 40 s on an idle 2-core machine, most of it the stack's start and the sweep
def test_a_socket_process_killed_with_sigkill_loses_no_state(stack, app):
    began = time.monotonic()
    clinic_data = build_clinic(app)
    emails, appts = clinic_data["emails"], clinic_data["appointments"]
    routes = stack.routes_to_each_process()
    a, b = stack.socket_ports
    doc_token = requests_token(stack, emails["doc"], f.PASSWORD)
    clinic = Peer(stack.url, auth={"token": doc_token}, headers={"Cookie": f"televisit_route={routes[b]}"}, name="doc")
    patients: dict[str, Peer] = {}
    try:
        clinic.connect()
        assert clinic.call("join_clinic", {})["ok"] is True
        for who in VISITS:
            patients[who] = connect_patient(stack, emails[who], routes[a], polling=who == "ada")
        wait_until(lambda: stack.sockets_per_process() == {a: 3.0, b: 1.0}, what="three patients on A, the doc on B")

        before = {}
        for who, peer in patients.items():
            ack = peer.call("check_in", {"appointment_id": appts[who]})
            assert ack["ok"] is True, ack
            before[who] = ack
        mark = clinic.mark()
        assert [before[w]["queue"]["position"] for w in VISITS] == [1, 2, 3]  # different places in one line
        held = {p for kind, p, appt in presence(app) if kind == "patient"}
        assert len(held) == 1, held  # one process (A's worker) holds the three
        dead = held.pop()
        assert dead in beating(app)

        error_log = (stack.dir / "logs" / "nginx-error.log").stat().st_size
        access_log = (stack.dir / "logs" / "nginx-access.log").stat().st_size
        killed = kill_process_group(stack, f"socket-{a}")
        assert _pids_under(stack.pid(f"socket-{b}")) & killed == set()

        # Each client reconnects by itself, same route cookie, through nginx: B takes it; then `resume()`.
        for who, peer in patients.items():
            wait_until(lambda p=peer: p.connections >= 2 and p.sio.connected, timeout=30, what=f"{who} reconnected")
        wait_until(lambda: stack.sockets_per_process()[b] == 4.0, timeout=15, what="the three patients on B")
        for who, peer in patients.items():
            again = peer.call("check_in", {"appointment_id": appts[who]})
            assert again["ok"] is True, again
            assert again["queue"]["position"] == before[who]["queue"]["position"], (who, again["queue"])
            assert again["checked_in_at"] == before[who]["checked_in_at"], who

        # nginx tried A (refused) and sent the reconnections to B
        errors = nginx_lines_since(stack, error_log, "nginx-error.log")
        assert any("Connection refused" in ln and f":{a}/socket.io/" in ln for ln in errors), errors
        answered = socket_requests(nginx_lines_since(stack, access_log, "nginx-access.log"))
        assert all(status == "101" for status, tried in answered if tried[-1] == a), answered  # A's ended WebSockets
        # (the reconnected WebSockets are logged when they end; ada's long-polling handshake already is)
        assert any(tried[-1] == b for _, tried in answered), answered
        assert all(tried[-1] == b for _, tried in answered if tried[-1] != a), answered

        # The clinician never left B: they still see the three waiting, in their places, checked in when they were.
        def whole_line(data) -> bool:
            return [p["appointment_id"] for p in data["patients"]] == [appts[w] for w in VISITS]

        listed = clinic.wait("waiting_list", whole_line, since=mark, timeout=15)
        for who, row in zip(VISITS, listed["patients"], strict=True):
            assert row["checked_in_at"] == before[who]["checked_in_at"] and row["status"] == "checked_in"
        ghosts = [row for row in presence(app) if row[1] == dead]
        assert len(ghosts) == 3  # A could not say goodbye: its rows stay until the sweep

        # The jobs process clears the dead process's sockets and heartbeat; the patients stay connected (on B).
        mark = clinic.mark()
        wait_until(lambda: all(p != dead for _, p, _ in presence(app)), timeout=SWEEP_WAIT, what="A's rows cleared")
        assert dead not in beating(app)
        assert sorted(appt for kind, _, appt in presence(app) if kind == "patient") == sorted(appts.values())
        cleared = clinic.wait("waiting_list", whole_line, since=mark, timeout=15)
        assert all(row["connected"] for row in cleared["patients"]), cleared
        still = clinic.call("join_clinic", {})
        assert [p["appointment_id"] for p in still["waiting_list"]["patients"]] == [appts[w] for w in VISITS]
    finally:
        for peer in (*patients.values(), clinic):
            peer.reconnection = False
            with contextlib.suppress(Exception):
                peer.close()
    print(f"--- the fault test, after the stack's start: {time.monotonic() - began:.0f}s")
