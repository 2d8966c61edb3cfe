"""The production command as a test server: `gunicorn -c config/gunicorn.py … wsgi:app` on a free port, or a socket
process as production runs it: `gunicorn -c config/gunicorn_socket.py` (its gevent worker; `socket=True`).

Its stdout and stderr go to one file (`output()`); stopping it sends SIGTERM and waits, so every worker's last
lines are written before a test reads them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.live_server import ROOT, SECRET, free_port

__all__ = ["SECRET", "Gunicorn"]


class Gunicorn:
    """gunicorn with config/gunicorn.py against `db_url`; `extra_env` adds or overrides variables."""

    def __init__(
        self,
        db_url: str,
        *,
        workers: int = 1,
        worker_class: str = "sync",
        threads: int = 1,
        extra_env: dict | None = None,
        now: str = "2027-03-01T12:00:00+00:00",
        socket: bool = False,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_", "FLASK_"))}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env |= {
            "TELEVISIT_ENV": "development",
            "TELEVISIT_SECRET_KEY": SECRET,
            "TELEVISIT_DATABASE_URL": db_url,
            "TELEVISIT_PUBLIC_URL": self.url,
            "TELEVISIT_NOW": now,
            "PYTHONUNBUFFERED": "1",
        }
        self.env = env | dict(extra_env or {})
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        if socket:  # config/gunicorn_socket.py's own worker class, worker count and app
            self.cmd = [gunicorn, "-c", "config/gunicorn_socket.py", "-b", f"127.0.0.1:{self.port}"]
            self.cmd += ["--no-control-socket"]
        else:
            self.cmd = [gunicorn, "-c", "config/gunicorn.py", "-w", str(workers), "-k", worker_class]
            self.cmd += ["--threads", str(threads), "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "wsgi:app"]
        fd, self.log_path = tempfile.mkstemp(prefix="televisit-gunicorn-", suffix=".log")
        os.close(fd)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 40.0) -> Gunicorn:
        """Start and wait until every request path answers /healthz."""
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.output()}"
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"gunicorn did not answer /healthz within {timeout}s:\n{self.output()}")

    def worker_pids(self) -> list[int]:
        """The master's worker processes."""
        done = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return [int(p) for p in done.stdout.split()]

    def stop(self) -> None:
        """SIGTERM the master (which stops its workers) and wait for it."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        """Call the server's JSON API (as tests/support/live_server.py's LiveServer does)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=10, **kw)

    def token(self, email: str, password: str) -> str:
        """A bearer token from the server's own sign-in."""
        r = self.api("POST", "/auth/token", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def output(self) -> str:
        """Everything the server wrote."""
        return Path(self.log_path).read_text(errors="replace")

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
