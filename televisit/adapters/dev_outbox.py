"""The embedded default: nothing leaves the machine; the outbox table is the dev outbox page."""

from __future__ import annotations

from televisit.adapters.base import OutgoingEmail, OutgoingSMS


class DevOutbox:
    """Accepts every message at once; the dispatcher stores the rendered text for /dev/outbox."""

    name = "dev-outbox"

    def send_sms(self, msg: OutgoingSMS) -> str:
        return "dev-sms"

    def find_sent(self, to: str, body: str, since) -> str | None:
        return None

    def send_email(self, msg: OutgoingEmail) -> str:
        return msg.message_id
