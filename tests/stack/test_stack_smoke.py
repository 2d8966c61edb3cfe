"""The production shape, started by `make stack`'s script and used through nginx (issue 17, "Run").

scripts/stack.sh starts nginx, the API workers (one gunicorn, 4 sync workers), two socket processes, the jobs
process, PostgreSQL and Redis, on free ports, a run directory and a database of this test's own (a developer's
stack on 8080 is never touched). Through nginx: sign in, find a slot the demo program offers, book it for the
demo patient. The waiting room opens 30 minutes before a visit and a visit needs at least an hour's notice, so the
stack is then stopped and started again with its clock 10 minutes before the visit (the data stays: the second
start migrates and seeds idempotently). Then, still through nginx, the patient's client is pinned by nginx's route
cookie to one socket process and the clinician's to the other (each process's own socket gauge proves where they
are), the patient checks in, the clinician sees them waiting and admits them, ends the visit, and the API says
`completed`. Finally the stack stops and every process it ran is gone.

Skips when nginx is missing and cannot be installed (needs root and apt-get), or PostgreSQL or Redis is missing;
with TELEVISIT_REQUIRE_SERVICES=1 (CI) those fail instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, make_url, text

from tests.conftest import PG_ADMIN_URL, REDIS_URL, service_missing
from tests.support.live_server import NS, ROOT, Peer, free_port

pytestmark = [pytest.mark.stack, pytest.mark.slow]

SCRIPT = ROOT / "scripts" / "stack.sh"
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2027, 3, 1, 8, 0, tzinfo=NY)  # Dr. Okafor's clinic in Cleveland runs 08:00-12:00 on Mondays
DEMO_PASSWORD = "televisit-demo"
PATIENT, SCHEDULER, CLINICIAN = (f"{who}@demo.televisit.local" for who in ("patient", "scheduler", "amara.okafor"))


def nginx_found() -> bool:
    return bool(shutil.which("nginx")) or Path("/usr/sbin/nginx").exists()


def missing_service() -> str | None:
    """Why this machine cannot run the stack (None: it can; the script installs nginx when root on Debian)."""
    if not nginx_found() and not (os.geteuid() == 0 and shutil.which("apt-get")):
        return "nginx is not installed and cannot be installed here (scripts/stack.sh needs root and apt-get)"
    if not (shutil.which("pg_isready") and shutil.which("psql")):
        return "PostgreSQL's client tools (pg_isready, psql) are not installed"
    if not shutil.which("redis-cli"):
        return "Redis (redis-cli, redis-server) is not installed"
    return None


def _pids_under(pid: int) -> set[int]:
    """`pid` and all its descendants (gunicorn's and nginx's workers)."""
    out = {pid}
    done = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    for child in done.stdout.split():
        out |= _pids_under(int(child))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] if Path(f"/proc/{pid}").exists() else ""
    return state != "Z"  # a zombie has exited (only its parent has not read its status yet)


class Stack:
    """scripts/stack.sh on its own ports, run directory, database and Redis channel."""

    def __init__(self):
        ports: set[int] = set()
        while len(ports) < 4:
            ports.add(free_port())
        self.port, self.api_port, *self.socket_ports = sorted(ports)
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="tv-stack-"))  # short: gunicorn's control sockets live there
        self.db = f"televisit_stack_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        pg = make_url(PG_ADMIN_URL)
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_", "STACK_"))}
        keep.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.env = keep | {
            "STACK_PORT": str(self.port),
            "STACK_API_PORT": str(self.api_port),
            "STACK_SOCKET_PORTS": " ".join(map(str, self.socket_ports)),
            "STACK_DIR": str(self.dir),
            "STACK_DB": self.db,
            "STACK_PG_HOST": pg.host or "127.0.0.1",
            "STACK_PG_PORT": str(pg.port or 5432),
            "STACK_PG_USER": pg.username or "postgres",
            "STACK_REDIS_URL": REDIS_URL,
            "STACK_BIN": str(Path(sys.executable).parent),
        }

    def run(
        self, command: str, *, now: datetime | None = None, timeout: float = 240, **extra: str
    ) -> subprocess.CompletedProcess:
        env = self.env | ({"TELEVISIT_NOW": now.isoformat()} if now else {}) | extra
        t = time.monotonic()
        done = subprocess.run(
            ["bash", str(SCRIPT), command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        print(f"--- {command}: {time.monotonic() - t:.1f}s\n{done.stdout}")  # pytest shows it when the test fails
        return done

    def start(self, now: datetime, **extra: str) -> str:
        done = self.run("start", now=now, **extra)
        output = done.stdout + done.stderr
        if done.returncode != 0 and not nginx_found():
            service_missing(f"scripts/stack.sh could not install nginx:\n{output[-1500:]}")
        assert done.returncode == 0, f"scripts/stack.sh start exited {done.returncode}:\n{output}"
        return output

    def stop(self) -> str:
        done = self.run("stop", timeout=120)
        assert done.returncode == 0, f"scripts/stack.sh stop exited {done.returncode}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def pid(self, name: str) -> int:
        return int((self.dir / "pids" / f"{name}.pid").read_text().split()[0])

    def every_pid(self) -> set[int]:
        """Every process the stack runs now: nginx, gunicorn masters and their workers, the jobs (not PG/Redis)."""
        names = ["nginx", "api", "jobs"] + [f"socket-{p}" for p in self.socket_ports]
        return set().union(*(_pids_under(self.pid(n)) for n in names))

    def api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=15, **kw)

    def token(self, email: str) -> str:
        r = self.api("POST", "/auth/token", json={"email": email, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def socket_process_of(self, route: str) -> int:
        """Which socket process nginx sends a client with this route cookie to: open an engine.io session through
        nginx, then close it directly on each process; only the process holding the session accepts the close."""
        opened = requests.get(
            f"{self.url}/socket.io/",
            params={"EIO": "4", "transport": "polling"},
            headers={"Cookie": f"televisit_route={route}"},
            timeout=10,
        )
        assert opened.status_code == 200, opened.text
        sid = json.loads(opened.text[1:])["sid"]
        for port in self.socket_ports:
            closed = requests.post(
                f"http://127.0.0.1:{port}/socket.io/",
                params={"EIO": "4", "transport": "polling", "sid": sid},
                data="1",
                timeout=10,
            )
            if closed.status_code == 200:
                return port
        raise AssertionError(f"no socket process holds the session {sid}")

    def routes_to_each_process(self) -> dict[int, str]:
        """A route cookie that pins a client to each socket process."""
        found: dict[int, str] = {}
        for _ in range(40):
            route = uuid.uuid4().hex
            found.setdefault(self.socket_process_of(route), route)
            if len(found) == len(self.socket_ports):
                return found
        raise AssertionError(f"nginx sent 40 route cookies to {sorted(found)} only: is the upstream sticky by cookie?")

    def sockets_per_process(self) -> dict[int, float]:
        """televisit_waiting_sockets_connected of each socket process (by port), from /metrics read on this
        machine (the processes share PROMETHEUS_MULTIPROC_DIR, so any of them reports all)."""
        body = requests.get(f"http://127.0.0.1:{self.api_port}/metrics", timeout=10).text
        by_pid = {
            int(pid): float(value)
            for pid, value in re.findall(r'^televisit_waiting_sockets_connected\{pid="(\d+)"\} (\S+)$', body, re.M)
        }
        return {
            port: sum(by_pid.get(p, 0.0) for p in _pids_under(self.pid(f"socket-{port}"))) for port in self.socket_ports
        }

    def async_modes(self) -> dict[str, set[str]]:
        """televisit_socketio_async_mode of each gunicorn ("api", "socket-PORT"): the modes its processes report."""
        body = requests.get(f"http://127.0.0.1:{self.api_port}/metrics", timeout=10).text
        by_pid: dict[int, set[str]] = {}
        for mode, pid, value in re.findall(
            r'^televisit_socketio_async_mode\{mode="(\w+)",pid="(\d+)"\} (\S+)$', body, re.M
        ):
            if float(value) == 1.0:
                by_pid.setdefault(int(pid), set()).add(mode)
        names = ["api"] + [f"socket-{p}" for p in self.socket_ports]
        return {n: set().union(*(by_pid.get(p, set()) for p in _pids_under(self.pid(n)))) for n in names}

    def remove(self) -> None:
        """Stop whatever is still running, drop the database, delete the run directory."""
        with contextlib.suppress(Exception):
            self.run("stop", timeout=120)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with contextlib.suppress(Exception), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def stack():
    problem = missing_service()
    if problem:
        service_missing(problem)
    s = Stack()
    try:
        yield s
    finally:
        s.remove()


def wait_until(pred, timeout: float = 10, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout}s")


def book_a_seeded_slot(stack: Stack) -> tuple[int, datetime]:
    """As the scheduler, through nginx: the demo patient's earliest video Imaging review with Dr. Okafor."""
    sched = stack.token(SCHEDULER)
    visit_type = next(
        v for v in stack.api("GET", "/visit-types").json()["visit_types"] if v["name"] == "Imaging review"
    )
    doctor = next(c for c in stack.api("GET", "/clinicians").json()["clinicians"] if c["name"] == "Dr. Amara Okafor")
    params = {
        "visit_type_id": visit_type["id"],
        "clinician_id": doctor["id"],
        "from": MONDAY.date().isoformat(),
        "to": MONDAY.date().isoformat(),
        "tz": "America/New_York",
        "mode": "virtual",
        "patient_region": "US-OH",
        "limit": 1,
    }
    slots = stack.api("GET", "/slots", params=params).json()["slots"]
    assert slots, "the demo program offers Dr. Okafor no Imaging review on Monday morning"
    found = stack.api("GET", "/patients", sched, params={"q": "Pat Patient"})
    patient = next(p for p in found.json()["patients"] if p["email"] == PATIENT)
    body = {k: slots[0][k] for k in ("visit_type_id", "clinician_id", "location_id", "mode", "start")}
    booked = stack.api(
        "POST", "/appointments", sched, json=body | {"patient_id": patient["id"], "patient_region": "US-OH"}
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "booked"
    return booked.json()["id"], datetime.fromisoformat(slots[0]["start"])


@pytest.mark.timeout(600)  # about a minute on an idle 2-core machine; three under heavy load
def test_a_visit_runs_through_nginx_with_the_patient_and_the_clinician_on_different_socket_processes(stack):
    began = time.monotonic()
    started = stack.start(MONDAY)
    assert f"Televisit is running at {stack.url}" in started and f"{PATIENT}" in started, started
    assert "already running" in stack.run("start").stdout  # idempotent: a second start starts nothing

    # nginx itself: static files from the checkout, the app's 413 for an oversized body, /metrics not for the world
    favicon = requests.get(f"{stack.url}/static/favicon.svg", timeout=10)
    assert favicon.status_code == 200 and favicon.content == (ROOT / "static" / "favicon.svg").read_bytes()
    assert "X-Request-ID" not in favicon.headers  # not from the app: nginx served it
    big = requests.post(f"{stack.url}/api/v1/auth/token", data=b"x" * (1024 * 1024 + 1), timeout=10)
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    assert requests.get(f"{stack.url}/metrics", timeout=10).status_code == 401
    assert requests.get(f"{stack.url}/readyz", timeout=10).json()["redis"] == "ok"

    appointment_id, start = book_a_seeded_slot(stack)

    first_run = stack.every_pid()
    stack.stop()
    assert [p for p in first_run if _alive(p)] == []
    # the waiting room is open: the visit starts in 10 minutes (the demo program is there already: no new seed)
    again = stack.start(start - timedelta(minutes=10), STACK_SEED="0")
    assert "creating database" not in again and "migrating" in again

    routes = stack.routes_to_each_process()
    one, two = stack.socket_ports
    # the socket processes run gevent (config/gunicorn_socket.py), the API workers threading (their first request
    # above loaded the app in each worker that answered)
    modes = stack.async_modes()
    assert modes == {"api": {"threading"}, f"socket-{one}": {"gevent"}, f"socket-{two}": {"gevent"}}, modes
    for port in stack.socket_ports:
        log = (stack.dir / "logs" / f"socket-{port}.log").read_text()
        assert "Using worker: gevent" in log and "Socket.IO async mode gevent" in log, log[-2000:]
    patient = Peer(
        stack.url,
        auth={"token": stack.token(PATIENT)},
        headers={"Cookie": f"televisit_route={routes[one]}"},
        name="patient",
    )
    clinic = Peer(
        stack.url,
        auth={"token": stack.token(CLINICIAN)},
        headers={"Cookie": f"televisit_route={routes[two]}"},
        name="clinician",
    )
    try:
        clinic.connect()  # a WebSocket from the start
        wait_until(lambda: stack.sockets_per_process() == {one: 0.0, two: 1.0}, what="the clinician on `two`")
        # the patient as a browser connects: long-polling first, then the upgrade, each request a new one to nginx
        # (all must reach the same process: the route cookie's stickiness)
        patient.sio.connect(
            stack.url,
            auth=patient.auth,
            headers=patient.headers,
            namespaces=[NS],
            transports=["polling", "websocket"],
            wait_timeout=10,
        )
        wait_until(lambda: patient.sio.transport() == "websocket", what="the patient's upgrade to a WebSocket")
        wait_until(lambda: stack.sockets_per_process() == {one: 1.0, two: 1.0}, what="the patient on `one`")

        assert clinic.call("join_clinic", {})["ok"] is True
        checked_in = patient.call("check_in", {"appointment_id": appointment_id})
        assert checked_in["ok"] is True, checked_in
        waiting = clinic.wait(
            "waiting_list", lambda d: appointment_id in [p["appointment_id"] for p in d["patients"]], timeout=15
        )  # emitted by `one` (the check-in), delivered by `two` through Redis
        assert next(p for p in waiting["patients"] if p["appointment_id"] == appointment_id)["name"] == "Pat Patient"

        assert clinic.call("admit", {"appointment_id": appointment_id})["ok"] is True
        admitted = patient.wait("admitted", timeout=15)
        assert admitted["appointment_id"] == appointment_id
        assert admitted["visit_url"].startswith(stack.url)
        assert clinic.call("end_visit", {"appointment_id": appointment_id})["ok"] is True
    finally:
        patient.close()
        clinic.close()

    shown = stack.api("GET", f"/appointments/{appointment_id}", stack.token(SCHEDULER))
    assert shown.status_code == 200 and shown.json()["status"] == "completed", shown.text

    second_run = stack.every_pid()
    assert len(second_run) >= 1 + 2 + (1 + 4) + 2 * 2 + 1  # nginx + 2 workers, API + 4, 2 socket (+1 each), jobs
    stopped = stack.stop()
    assert "stopped" in stopped
    assert [p for p in second_run if _alive(p)] == [], "processes left running after stop"
    assert not list((stack.dir / "pids").glob("*.pid"))
    print(f"--- the whole test: {time.monotonic() - began:.0f}s")
