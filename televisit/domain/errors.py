"""Domain errors; the web layer maps each to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: carries a machine code and a human message."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, reason: str | None = None, extra=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.reason = reason
        self.extra: dict = extra or {}  # more of the answer a client relies on (e.g. the dates that failed)


class Malformed(DomainError):
    """The body is not the JSON object the route expects."""

    code, status = "malformed", 400


class Invalid(DomainError):
    """One or more fields are wrong; `fields` names each."""

    code, status = "invalid", 422

    def __init__(self, fields: dict[str, str], message: str = "Some fields are invalid."):
        super().__init__(message, fields=fields)


class Unauthorized(DomainError):
    """No valid credentials."""

    code, status = "unauthorized", 401


class Forbidden(DomainError):
    """Authenticated, but not allowed to act on this."""

    code, status = "forbidden", 403


class NotFound(DomainError):
    """No such object (or not visible to the caller)."""

    code, status = "not_found", 404


class SlotUnavailable(DomainError):
    """The requested time is taken or is not a bookable slot; the message says why."""

    code, status = "slot_unavailable", 409


class Conflict(DomainError):
    """The request conflicts with the object's current state."""

    code, status = "conflict", 409


class BookedOver(DomainError):
    """A change of hours would leave booked visits behind: `extra["appointments"]` names them."""

    code, status = "conflicts", 409


# --- waiting room refusals (socket error acks carry the code; status maps them should they reach HTTP) ---


class TooEarly(DomainError):
    """Not yet: the waiting room opens 30 minutes before the start (or a no-show before the start)."""

    code, status = "too_early", 409


class Closed(DomainError):
    """The visit has ended (or its time is over): the waiting room is closed."""

    code, status = "closed", 409


class Cancelled(DomainError):
    """The appointment was cancelled."""

    code, status = "cancelled", 409


class NotVirtual(DomainError):
    """An in-person visit has no virtual waiting room."""

    code, status = "not_virtual", 409


class NotCheckedIn(DomainError):
    """The patient has not checked in."""

    code, status = "not_checked_in", 409


class NotLicensed(DomainError):
    """The clinician is not licensed where the patient says they are."""

    code, status = "not_licensed", 409


class Busy(DomainError):
    """The clinician already has a visit open."""

    code, status = "busy", 409


class Locked(DomainError):
    """Too many failed sign-ins: wait `retry_after` seconds."""

    code, status = "locked", 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
