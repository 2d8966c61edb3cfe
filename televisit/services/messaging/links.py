"""Signed, expiring links scoped to one appointment and one purpose (view, confirm, reschedule, cancel, join, offer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeSerializer

from televisit.domain.errors import Forbidden, NotFound
from televisit.domain.validation import MAX_ID, is_id

PURPOSES = ("view", "confirm", "reschedule", "cancel", "join", "offer")
AFTER_VISIT = timedelta(days=1)
MAX_EXPIRY = 253_402_300_799  # 9999-12-31T23:59:59Z: the last second a datetime can hold


@dataclass(frozen=True)
class LinkClaims:
    """What a valid link grants: `purpose` on appointment `appointment_id` at `sequence`."""

    purpose: str
    appointment_id: int
    sequence: int
    expires_at: datetime
    offer_id: int | None = None


def _serializer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"televisit-link:{purpose}")


def sign(
    secret: str, purpose: str, appointment_id: int, sequence: int, expires_at: datetime, *, offer_id: int | None = None
) -> str:
    """The token for a link (purpose is part of the signature, so a token works for one purpose only)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    payload = {"a": appointment_id, "s": sequence, "e": int(expires_at.timestamp())}
    if offer_id is not None:
        payload["o"] = offer_id
    return _serializer(secret, purpose).dumps(payload)


def url(
    public_url: str,
    secret: str,
    purpose: str,
    appointment_id: int,
    sequence: int,
    expires_at: datetime,
    *,
    offer_id: int | None = None,
) -> str:
    """The absolute URL of a signed link."""
    return f"{public_url}/l/{purpose}/{sign(secret, purpose, appointment_id, sequence, expires_at, offer_id=offer_id)}"


def read(secret: str, purpose: str, token: str, *, now: datetime) -> LinkClaims:
    """The claims of a valid, unexpired token for `purpose`; Forbidden otherwise."""
    try:
        data = _serializer(secret, purpose).loads(token)
    except BadSignature as exc:
        raise Forbidden("This link is not valid.") from exc
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("a", "s", "e")):
        raise Forbidden("This link is not valid.")
    if not _in_range(data):  # signed by us, yet naming no row (an id past the 32-bit columns): not found
        raise NotFound("This link is not valid.")
    expires = datetime.fromtimestamp(data["e"], tz=timezone.utc)
    if expires <= now:
        raise Forbidden("This link has expired.")
    return LinkClaims(purpose, data["a"], data["s"], expires, data.get("o"))


def _in_range(data: dict) -> bool:
    """Ids that fit their columns, a sequence that does, and an expiry that is a date (not an overflow)."""
    offer = data.get("o")
    return (
        is_id(data["a"])
        and (offer is None or is_id(offer))
        and 0 <= data["s"] <= MAX_ID
        and 0 <= data["e"] <= MAX_EXPIRY
    )
