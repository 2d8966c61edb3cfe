"""The app as a real server process (gunicorn or the werkzeug server), and a lean HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on 127.0.0.1 serving `wsgi:app` against `db_url`, its clock started at `now_iso`."""

    def __init__(
        self,
        db_url: str,
        now_iso: str,
        *,
        kind: str = "gunicorn",
        workers: int = 2,
        threads: int = 8,
        worker_class: str = "gthread",
    ):
        self.port = free_port()
        env = dict(
            os.environ,
            TELEVISIT_DATABASE_URL=db_url,
            TELEVISIT_NOW=now_iso,
            TELEVISIT_ENV="development",
            TELEVISIT_SECRET_KEY="bench-" + "k" * 40,
            # one client address times the search: the per-client anonymous limit would answer 429
            TELEVISIT_ANON_SEARCH_LIMIT="1000000 per minute",
        )
        if kind == "gunicorn":
            cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", worker_class, "--threads", str(threads)]
            cmd += ["-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"]
        else:
            cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--host", "127.0.0.1"]
            cmd += ["--port", str(self.port)]
        self.command = " ".join(cmd[1:])
        self.log = tempfile.NamedTemporaryFile(prefix="televisit-bench-server-", suffix=".log", delete=False)  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll until the API answers (every worker imported and connected)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.command} (log: {self.log.name})")
            try:
                if Client(self.port).get("/api/v1/locations")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not become ready (log: {self.log.name})")

    def stop(self) -> None:
        """SIGTERM the process we started and wait for it; keep its log only if it reported errors."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        text = Path(self.log.name).read_text(errors="replace")
        if "Traceback" in text or "[ERROR]" in text:
            print(f"  the server logged errors: see {self.log.name}", flush=True)
        else:
            Path(self.log.name).unlink(missing_ok=True)


class Client:
    """An HTTP/1.1 client on http.client (far less client CPU than requests).

    With `keep_alive` one connection serves every request; without it each request opens its own
    connection, as a browser population behind a proxy would, which spreads requests over the
    server's worker processes (a kept-alive connection stays with the worker that accepted it).
    """

    def __init__(self, port: int, headers: dict | None = None, *, keep_alive: bool = True):
        self.port = port
        self.headers = headers or {}
        self.keep_alive = keep_alive
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                extra = {} if self.keep_alive else {"Connection": "close"}
                self.conn.request(method, path, body=body, headers={**self.headers, **headers, **extra})
                resp = self.conn.getresponse()
                status, data = resp.status, resp.read()
                if not self.keep_alive:
                    self.close()
                return status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed an idle keep-alive connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, bytes]:
        return self._request("GET", path, None, {})

    def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        status, raw = self._request("POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"})
        return status, json.loads(raw) if raw else {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
