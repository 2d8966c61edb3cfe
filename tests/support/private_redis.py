"""A private `redis-server` (its own free port, no persistence) that a test may kill, freeze and restart at will.

The shared Redis on 6379 is never touched.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.live_server import free_port


class PrivateRedis:
    """`redis-server` on a free port, no persistence; SIGKILL and restart on the same port at will."""

    def __init__(self, binary: str):
        self.binary, self.port = binary, free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="televisit-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> PrivateRedis:
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with open(self.dir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen([*cmd, "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.dir / 'redis.log').read_text()[-2000:]}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not answer PING")

    def ping(self) -> bool:
        import redis

        with contextlib.suppress(Exception):
            client = redis.Redis.from_url(self.url, socket_connect_timeout=1, retry=None)
            try:
                return bool(client.ping())
            finally:
                client.close()
        return False

    def kill(self) -> None:
        """SIGKILL: no goodbye to the subscribers, as a crash or an OOM kill would do."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers (a hung server, a full disk, a VM paused)."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def destroy(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.thaw()
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_server() -> str:
    """The `redis-server` binary (the test is skipped, or fails under CI, when it is not installed)."""
    from tests.conftest import service_missing

    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server is not installed")
    return binary
