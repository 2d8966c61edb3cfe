"""The waiting room's side of "Observe" (issue 17), on a socket process as production runs it (gunicorn -c
config/gunicorn_socket.py: one gevent worker; JSON logs): the gauges of sockets connected and patients waiting in
this process, and log lines of the socket handlers that carry the socket's request id and no patient data. On
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import _make_app
from tests.support.gunicorn_server import Gunicorn
from tests.support.live_server import Peer, fresh_database
from tests.support.waiting_world import SERVER_NOW, Live, world

ENV = {"TELEVISIT_LOG_FORMAT": "json", "TELEVISIT_WAITING_HEARTBEAT_SECONDS": "1"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request):
    with fresh_database(request.param) as url:
        server = Gunicorn(url, socket=True, extra_env=ENV, now=SERVER_NOW.isoformat()).start()
        app = _make_app(url)
        try:
            yield Live(server, app)
        finally:
            server.stop()


@pytest.fixture
def w(live):
    yield from world(live)


def _gauge(w, name: str) -> float:
    text = requests.get(f"{w.server.url}/metrics", timeout=10).text
    return sum(s.value for fam in text_string_to_metric_families(text) for s in fam.samples if s.name == name)


def _eventually(check, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)


SOCKETS, WAITING = "televisit_waiting_sockets_connected", "televisit_waiting_patients"


def test_the_process_counts_its_sockets_and_its_waiting_patients(w):
    appt = w.book("ada", "09:30")
    start = _gauge(w, SOCKETS)
    ada = w.peer("ada")
    _eventually(lambda: _gauge(w, SOCKETS) == start + 1)
    assert ada.call("check_in", {"appointment_id": appt})["ok"] is True
    _eventually(lambda: _gauge(w, WAITING) == 1)  # at the process's next heartbeat (every second here)
    w.peer("doc")
    _eventually(lambda: _gauge(w, SOCKETS) == start + 2)
    ada.close()
    _eventually(lambda: _gauge(w, SOCKETS) == start + 1)
    _eventually(lambda: _gauge(w, WAITING) == 0)


def test_socket_lines_carry_the_sockets_request_id_and_no_patient_data(w):
    appt = w.book("bob", "09:30")
    rid = f"sock-{uuid.uuid4().hex}"
    token, join = w.token("bob"), w.join_token(appt)
    bob = w._keep(Peer(w.server.url, auth={"token": token}, headers={"X-Request-ID": rid}, name="bob"), True)
    assert bob.call("check_in", {"appointment_id": appt})["ok"] is True
    assert bob.call("connect", {})["ok"] is False  # a client's event with a reserved name: refused and logged

    def lines() -> list[dict]:
        return [json.loads(line) for line in w.server.output().splitlines() if line.strip()]

    before = len(lines())
    w.join_peer(appt, token=join).close()
    bob.close()

    def ours() -> list[str]:
        return [x["message"] for x in lines() if x.get("request_id") == rid]

    _eventually(lambda: "waiting-room: a socket disconnected" in ours())
    assert ours() == [
        "waiting-room: a patient connected",
        "waiting-room: ignored a client event with the reserved name 'connect'",
        "waiting-room: a socket disconnected",
    ]
    joined = [x for x in lines()[before:] if x.get("message", "").endswith(" connected")]
    assert len(joined) == 1 and joined[0]["request_id"] not in (None, rid)  # the link's socket has its own id
    text = w.server.output()
    for secret in (token, join, "bob@x.org", "Bob "):
        assert secret not in text, secret[:12]
