"""A real local SMTP server (aiosmtpd) that records what it receives."""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


@dataclass
class Recorder:
    """aiosmtpd handler: keeps every accepted message as a parsed EmailMessage."""

    messages: list[EmailMessage] = field(default_factory=list)

    def __post_init__(self):
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = email.message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    """A port nobody listens on right now (aiosmtpd needs a concrete one to check it started)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """Start/stop a local SMTP server on a free port."""

    def __init__(self):
        self.recorder = Recorder()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=_free_port())

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return self.controller.port

    def stop(self) -> None:
        self.controller.stop()
