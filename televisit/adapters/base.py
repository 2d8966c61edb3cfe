"""The small interfaces the dispatcher talks to, and the errors a sender may raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingSMS:
    """One text message; `status_callback` lets the provider report delivery (and reconcile timeouts)."""

    to: str
    body: str
    status_callback: str | None = None


@dataclass(frozen=True)
class OutgoingEmail:
    """One email with text and HTML alternatives and an optional calendar part."""

    to: str
    subject: str
    text: str
    html: str
    message_id: str
    ics: bytes | None = None
    ics_method: str | None = None


class SendError(Exception):
    """A send did not succeed. `code` is the provider's error code when there is one."""

    def __init__(self, message: str, *, code: int | None = None):
        super().__init__(message)
        self.code = code


class Transient(SendError):
    """Nothing was accepted (5xx, connection refused, connect timeout): retry later with backoff."""


class Unknown(SendError):
    """The request left but no answer came (read timeout): do not resend blindly; reconcile."""


class Permanent(SendError):
    """The provider refused for good (opted out, invalid number, bad address)."""


class SmsSender(Protocol):
    """Sends SMS; returns the provider's message id."""

    def send_sms(self, msg: OutgoingSMS) -> str: ...

    def find_sent(self, to: str, body: str, since) -> str | None:
        """The id of a message already accepted for `to` with `body` since `since`, if any."""


class EmailSender(Protocol):
    """Sends email; returns the Message-ID used."""

    def send_email(self, msg: OutgoingEmail) -> str: ...
