"""A real `flask --app wsgi serve` process on a free port, and a real Socket.IO client that records events.

The server runs on its own migrated database (SQLite file or a fresh PostgreSQL database) with its clock
starting at TELEVISIT_NOW; the test process writes data to the same database and commits before the
server reads it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import requests
import socketio
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
NS = "/waiting-room"
SECRET = "live-server-test-secret-0123456789abcdef"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A new, migrated database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    from tests.conftest import PG_ADMIN_URL, _migrate, _pg_reachable, service_missing

    if kind == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='televisit-live-')) / 'live.db'}"
        _migrate(url)
        yield url
        return
    problem = _pg_reachable()
    if problem:
        service_missing(problem)
    name = f"televisit_live_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class LiveServer:
    """`python -m flask --app wsgi serve` as a subprocess; `url` is also its TELEVISIT_PUBLIC_URL."""

    def __init__(
        self,
        db_url: str,
        *,
        now: datetime,
        redis_url: str | None = None,
        with_jobs: bool = False,
        channel: str = "televisit",
        extra_env: dict | None = None,
    ):
        self.db_url, self.now, self.redis_url, self.with_jobs = db_url, now, redis_url, with_jobs
        self.channel, self.extra_env = channel, dict(extra_env or {})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.started_at: float | None = None  # time.monotonic() when the process was started
        fd, self.log_path = tempfile.mkstemp(prefix="televisit-live-", suffix=".log")
        os.close(fd)

    def env(self) -> dict:
        """The server's environment: its own database, secret, clock and public URL."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_"))}
        env |= {
            "TELEVISIT_DATABASE_URL": self.db_url,
            "TELEVISIT_SECRET_KEY": SECRET,
            "TELEVISIT_NOW": self.now.isoformat(),
            "TELEVISIT_PUBLIC_URL": self.url,
            "TELEVISIT_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        if self.redis_url:
            env["TELEVISIT_REDIS_URL"] = self.redis_url
            env["TELEVISIT_SOCKETIO_CHANNEL"] = self.channel
        return env | self.extra_env

    def start(self, timeout: float = 30.0) -> LiveServer:
        """Start and wait until /healthz answers (fails with the server's output if it does not)."""
        cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.with_jobs:
            cmd.append("--with-jobs")
        self.started_at = time.monotonic()
        with open(self.log_path, "ab") as log:  # the child keeps its own handle
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz within {timeout}s:\n{self.output()}")

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def clock_now(self) -> datetime:
        """About what the server's clock reads now (it read `now` at start and runs on; never behind it)."""
        return self.now + timedelta(seconds=time.monotonic() - (self.started_at or time.monotonic()))

    def run_jobs_once(self, timeout: float = 180.0) -> str:
        """`flask --app wsgi jobs run-once` on the server's database, its clock set to the server's now.

        What `serve --with-jobs` would do on its next tick (the dev outbox shows messages once sent);
        returns what the command printed. The caller must not hold a transaction open (SQLite).
        """
        env = self.env() | {"TELEVISIT_NOW": self.clock_now().isoformat()}
        cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-once"]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"jobs run-once exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def output(self) -> str:
        """What the server printed (for failure messages)."""
        return Path(self.log_path).read_text(errors="replace")[-6000:]

    def api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        """Call the server's JSON API."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=10, **kw)

    def token(self, email: str, password: str) -> str:
        """A bearer token from the server's own sign-in."""
        r = self.api("POST", "/auth/token", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["token"]


def _quick_close() -> None:
    """Make websocket-client wait 0.2 s, not 3 s, for the server's close frame (test client only).

    engine.io's client sends its CLOSE packet and then closes the websocket, whose close() waits for the
    server's close frame, which the client's own read-loop thread usually swallows first: every disconnect
    would stall 3 s. The server has the CLOSE packet by then, so nothing it does is skipped.
    """
    import websocket

    if getattr(websocket.WebSocket.close, "quick", False):
        return
    original = websocket.WebSocket.close

    def close(self, status=websocket.STATUS_NORMAL, reason=b"", timeout=0.2):
        return original(self, status, reason, timeout)

    close.quick = True
    websocket.WebSocket.close = close


class Peer:
    """A python-socketio client on /waiting-room (websocket transport) that records every event it gets."""

    def __init__(
        self,
        url: str,
        *,
        auth: dict | None = None,
        headers: dict | None = None,
        name: str = "peer",
        reconnection: bool = False,
    ):
        """`reconnection`: reconnect by itself when the connection drops (as the page's client does), with the
        same URL, headers (a route cookie) and credentials; `connections` counts the connects."""
        self.url, self.auth, self.headers, self.name = url, auth, headers or {}, name
        self.reconnection, self.connections = reconnection, 0
        self.events: list[tuple[str, object]] = []
        self._cond = threading.Condition()
        self.refusal: object = None
        self.sio = self._client()

    def _client(self) -> socketio.Client:
        _quick_close()
        sio = socketio.Client(reconnection=self.reconnection, reconnection_delay=0.2, reconnection_delay_max=1)
        sio.on("*", self._record, namespace=NS)
        sio.on("connect", self._connected, namespace=NS)
        sio.on("connect_error", self._refused, namespace=NS)
        return sio

    def _record(self, event, *args):
        with self._cond:
            self.events.append((event, args[0] if len(args) == 1 else list(args)))
            self._cond.notify_all()

    def _connected(self):
        with self._cond:
            self.connections += 1
            self._cond.notify_all()

    def _refused(self, data=None):
        self.refusal = data

    def connect(self) -> Peer:
        """Connect (raises socketio.exceptions.ConnectionError when refused; `refusal` says why)."""
        self.sio.connect(
            self.url, auth=self.auth, headers=self.headers, namespaces=[NS], transports=["websocket"], wait_timeout=10
        )
        return self

    def reconnect(self) -> Peer:
        """A new socket with the same credentials (the old one must be closed)."""
        self.sio = self._client()
        return self.connect()

    def close(self) -> None:
        """Disconnect if connected."""
        if self.sio.connected:
            self.sio.disconnect()

    def call(self, event: str, data: object = None, timeout: float = 10) -> dict:
        """Emit and wait for the ack."""
        return self.sio.call(event, data, namespace=NS, timeout=timeout)

    def mark(self) -> int:
        """The index of the next event; `wait(..., since=mark)` looks only at later ones."""
        with self._cond:
            return len(self.events)

    def wait(
        self, event: str, pred: Callable[[object], bool] = lambda _: True, *, since: int = 0, timeout: float = 10
    ) -> object:
        """The first `event` (at or after index `since`) whose data satisfies `pred`; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for name, data in self.events[since:]:
                    if name == event and pred(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(n, d) for n, d in self.events[since:]][-12:]
                    raise AssertionError(f"{self.name}: no {event!r} matching within {timeout}s; last events: {seen}")
                self._cond.wait(left)

    def got(self, event: str, *, since: int = 0) -> list:
        """Every `event` received so far (at or after `since`)."""
        with self._cond:
            return [d for n, d in self.events[since:] if n == event]
