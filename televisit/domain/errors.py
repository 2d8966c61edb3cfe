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
        self.extra: dict = dict(extra or {})  # more of the answer a client relies on (e.g. the dates that failed)

    def details(self) -> dict:
        """Further members of the answer beside code, message and fields (rendered in the error object and
        beside it: `{"error": {..., "appointments": [...]}, "appointments": [...]}`)."""
        return self.extra


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


class DuplicatePatient(Conflict):
    """A patient record with this email exists already: staff use it rather than make a second one."""

    code = "duplicate_patient"

    def __init__(self, patient_id: int):
        super().__init__(
            f"A patient with this email is already registered (patient #{patient_id}). Use that record instead.",
            fields={"email": f"already used by patient #{patient_id}"},
        )
        self.patient_id = patient_id

    def details(self) -> dict:
        """The existing record's id, so the caller can use it."""
        return {"patient_id": self.patient_id}


class DuplicateMrn(Conflict):
    """Another patient record has this MRN (an MRN names one record)."""

    code = "duplicate_mrn"

    def __init__(self, patient_id: int):
        super().__init__(
            f"Another patient record (patient #{patient_id}) has this MRN. Check the number, or use that record.",
            fields={"mrn": f"already used by patient #{patient_id}"},
        )
        self.patient_id = patient_id

    def details(self) -> dict:
        """The record that has the MRN."""
        return {"patient_id": self.patient_id}


# Why a record looks like the one being registered (televisit/services/patients/identity.py).
SAME_NAME_AND_BIRTH, SAME_PHONE = "name_and_birth_date", "phone"


class PossibleDuplicate(Conflict):
    """Records that look like the patient being registered (same name and date of birth, or same phone): staff
    pick one of them, or confirm that this is someone else (`confirm_new`)."""

    code = "possible_duplicate"

    def __init__(self, matches: list[tuple[int, list[str]]]):
        count = len(matches)
        super().__init__(
            f"{count} patient record{'s' if count != 1 else ''} look{'' if count != 1 else 's'} like this patient "
            '(same name and date of birth, or same phone). Use the right record, or send "confirm_new": true '
            "to register someone else.",
        )
        self.matches = matches

    @property
    def patient_ids(self) -> list[int]:
        return [pid for pid, _ in self.matches]

    def details(self) -> dict:
        """The records that look alike, and why."""
        return {
            "patient_ids": self.patient_ids,
            "possible_duplicates": [{"patient_id": pid, "match": why} for pid, why in self.matches],
        }


class PartOfWhole(Conflict):
    """One visit of a clinic day or of a course is not moved, cancelled or put on the waitlist on its own:
    the day or the course changes as a whole (its id is in the answer)."""

    def __init__(self, itinerary_id: int | None = None, course_id: int | None = None):
        if itinerary_id:
            self.code, self.owner = "part_of_itinerary", {"itinerary_id": itinerary_id}
            message = "This visit is one step of a clinic day: move or cancel the whole day instead."
        else:
            self.code, self.owner = "part_of_course", {"course_id": course_id}
            message = "This visit is one visit of a treatment course: move or cancel the whole course instead."
        super().__init__(message)

    def details(self) -> dict:
        """The day's or the course's id, so the caller can change it."""
        return dict(self.owner)


class TimeOffConflicts(DomainError):
    """New time off covers active visits: the caller must say whether to keep or cancel them."""

    code, status = "conflicts", 409

    def __init__(self, appointment_ids: list[int], message: str | None = None):
        count = len(appointment_ids)
        message = message or (
            f"This time off covers {count} booked visit{'s' if count != 1 else ''}. "
            'Send "affected": "keep" to keep them or "cancel" to cancel them and tell the patients.'
        )
        super().__init__(message, extra={"appointments": list(appointment_ids)})
        self.appointment_ids = list(appointment_ids)


class BoardFull(DomainError):
    """The tumor board session named (or every session still to come within the horizon) has no place left."""

    code, status = "board_full", 409


class BookingLimit(DomainError):
    """A patient booking for themself already holds as many upcoming visits as they may book themself."""

    code, status = "booking_limit", 409


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


class Unconfirmed(DomainError):
    """The password is right, but the account's address has not been confirmed by its emailed link yet."""

    code, status = "unconfirmed", 403


class SessionExpired(DomainError):
    """The sign-in session ended (idle too long, or past its lifetime): sign in again."""

    code, status = "session_expired", 401
