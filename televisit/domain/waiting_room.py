"""Virtual waiting room rules (pure): the check-in window, the line, positions, ETAs, clinician status."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from televisit.domain import appointments as st
from televisit.domain.errors import Busy, Cancelled, Closed, Conflict, NotCheckedIn, NotLicensed, NotVirtual, TooEarly
from televisit.domain.licensure import covers, is_region
from televisit.domain.timezones import local_date

NOT_BOOKED = "This time is only held, not booked yet: there is no waiting room until it is booked."
OPENS_BEFORE = timedelta(minutes=30)
STARTS_SOON = timedelta(minutes=5)
MAX_LATE_MINUTES = 240
MAX_TEXT = 500
SIGNAL_KINDS = ("ready", "offer", "answer", "candidate", "hangup")
MAX_SIGNAL_CHARS = 64_000  # an SDP offer is a few kB; this bounds what one socket can make us relay
# A video call is a full mesh: every page sends its camera to each other page and decodes each of theirs, so
# with n people a page keeps n - 1 peer connections (7 uplinks of ~0.5-1.5 Mbit/s and 7 decoders at 8). Past
# that a phone runs out of upload and CPU; a larger call (a whole tumor board) needs a media server (an SFU).
MAX_CALL_PARTICIPANTS = 8
PATIENT_PEER = "patient"
MAX_PEER_ID = 40
OFFLINE, AVAILABLE, IN_VISIT, RUNNING_LATE = "offline", "available", "in_visit", "running_late"


@dataclass(frozen=True)
class Waiting:
    """One checked-in appointment in a clinician's line."""

    appointment_id: int
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        """The scheduled length in whole minutes."""
        return math.ceil((self.end - self.start).total_seconds() / 60)


def opens_at(start: datetime) -> datetime:
    """When the waiting room opens for a visit starting at `start`."""
    return start - OPENS_BEFORE


def window_state(start: datetime, end: datetime, now: datetime) -> str:
    """'too_early' before the room opens, 'open' from 30 minutes before start until the end, then 'closed'."""
    if now < opens_at(start):
        return "too_early"
    return "open" if now <= end else "closed"


def require_open(start: datetime, end: datetime, now: datetime) -> None:
    """Refuse with too_early or closed outside the check-in window."""
    state = window_state(start, end, now)
    if state == "too_early":
        raise TooEarly("The waiting room opens 30 minutes before your visit.")
    if state == "closed":
        raise Closed("This visit has ended; the waiting room is closed.")


def require_waitable(mode: str, status: str) -> None:
    """Only a virtual visit that is booked or already waiting can use the waiting room."""
    if status == st.CANCELLED:
        raise Cancelled("This appointment was cancelled.")
    if status == st.PENDING:
        raise Closed(NOT_BOOKED)
    if mode != "virtual":
        raise NotVirtual("This is an in-person visit; please check in at the front desk.")
    if status in (st.COMPLETED, st.NO_SHOW):
        raise Closed("This visit has ended; the waiting room is closed.")


def check_in_refusal(mode: str, status: str, start: datetime, end: datetime, now: datetime) -> None:
    """Raise unless the patient may check in now (an already checked-in patient may check in again)."""
    require_waitable(mode, status)
    if status == st.BOOKED:
        require_open(start, end, now)


def require_precheck_allowed(mode: str, status: str, start: datetime, end: datetime, now: datetime) -> None:
    """The pre-visit check may come before the room opens (the page asks early), not after a booked visit ended."""
    require_waitable(mode, status)
    if status == st.BOOKED and window_state(start, end, now) == "closed":
        raise Closed("This visit has ended; the waiting room is closed.")


def require_admittable(status: str, licensed: bool | None, other_visit_open: bool) -> None:
    """Admit needs a checked-in patient in a licensed region and no other visit in progress."""
    if status == st.CANCELLED:
        raise Cancelled("This appointment was cancelled.")
    if status == st.BOOKED:
        raise NotCheckedIn("The patient has not checked in yet.")
    if status != st.CHECKED_IN:
        raise Conflict(f"This appointment is {status.replace('_', ' ')}.")
    if licensed is False:
        raise NotLicensed("You are not licensed where the patient says they are now.")
    if other_visit_open:
        raise Busy("End the visit in progress first.")


def require_no_show_allowed(status: str, start: datetime, now: datetime) -> None:
    """A no-show can be recorded from the start time on, for a booked or checked-in visit."""
    if status == st.CANCELLED:
        raise Cancelled("This appointment was cancelled.")
    if status not in (st.BOOKED, st.CHECKED_IN):
        raise Conflict(f"This appointment is {status.replace('_', ' ')}.")
    if now < start:
        raise TooEarly("A no-show can be recorded from the start time on.")


def require_in_visit(status: str) -> None:
    """Visit actions (join, signal, end) need the visit to be open."""
    if status == st.CANCELLED:
        raise Cancelled("This appointment was cancelled.")
    if status == st.BOOKED:
        raise NotCheckedIn("The patient has not checked in yet.")
    if status == st.CHECKED_IN:
        raise Conflict("The visit has not started yet.")
    if status != st.IN_VISIT:
        raise Closed("This visit has ended.")


def region_licensed(licenses: Iterable[str], region: str | None) -> bool | None:
    """Whether the licences cover `region`; None when the region is unknown."""
    if region is None:
        return None
    return covers(frozenset(licenses or ()), region)


def valid_region(text: object) -> bool:
    """A region code as the API takes it (US-OH, GB)."""
    return is_region(text)


# Unicode's Bidi_Control characters: they reorder what follows them on screen ("invoice\u202egnp.exe").
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
TEXT_CONTROLS = frozenset("\n\t")  # chat is multi-line; a Windows line end (CR LF) becomes a newline


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n")


def unsafe_characters(text: str) -> list[str]:
    """The control characters (C0 but newline and tab, DEL, C1) and bidi controls in `text`, as U+XXXX."""
    found = {
        c for c in _lines(text) if c in BIDI_CONTROLS or (unicodedata.category(c) == "Cc" and c not in TEXT_CONTROLS)
    }
    return [f"U+{ord(c):04X}" for c in sorted(found)]


def clean_text(text: object) -> str | None:
    """The message text trimmed (CR LF as newlines), or None unless it is 1 to 500 characters and safe to show."""
    if not isinstance(text, str) or unsafe_characters(text):
        return None
    text = _lines(text).strip()
    return text if 0 < len(text) <= MAX_TEXT else None


def valid_late_minutes(value: object) -> bool:
    """Running-late minutes: a whole number 0 to 240 (0 clears it)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_LATE_MINUTES


def same_day_line(items: Iterable[tuple[Waiting, ZoneInfo]], day: date) -> list[Waiting]:
    """The checked-in appointments whose start falls on local `day` (each in its location's zone), in order."""
    return line_order(w for w, zone in items if local_date(w.start, zone) == day)


def line_order(items: Iterable[Waiting]) -> list[Waiting]:
    """The line: by scheduled start, then by id."""
    return sorted(items, key=lambda w: (w.start, w.appointment_id))


def position(line: Sequence[Waiting], appointment_id: int) -> int | None:
    """1 for the next patient; None when the appointment is not in the line."""
    for i, w in enumerate(line, start=1):
        if w.appointment_id == appointment_id:
            return i
    return None


def minutes_until(instant: datetime, now: datetime) -> int:
    """Whole minutes (rounded up) from `now` until `instant`; 0 once it has passed."""
    return max(0, math.ceil((instant - now).total_seconds() / 60))


def visit_minutes_left(admitted_at: datetime | None, start: datetime, end: datetime, now: datetime) -> int:
    """Minutes left of a visit in progress: its full length counted from when it was opened."""
    opened = admitted_at or start
    return minutes_until(opened + (end - start), now)


def eta_minutes(line: Sequence[Waiting], appointment_id: int, *, now: datetime, visit_left: int, late: int) -> int:
    """max(minutes until start, visit left + lengths of those ahead) + late minutes; never negative."""
    pos = position(line, appointment_id)
    if pos is None:
        return 0
    me = line[pos - 1]
    ahead = sum(w.minutes for w in line[: pos - 1])
    return max(0, max(minutes_until(me.start, now), visit_left + ahead) + max(0, late))


def queue_positions(line: Sequence[Waiting], *, now: datetime, visit_left: int, late: int) -> list[tuple[int, int]]:
    """(position, eta_minutes) of every patient in `line`, in one pass (the same as `position`/`eta_minutes`)."""
    out, ahead = [], 0
    for pos, w in enumerate(line, start=1):
        out.append((pos, max(0, max(minutes_until(w.start, now), visit_left + ahead) + max(0, late))))
        ahead += w.minutes
    return out


def clinician_status(*, in_visit: bool, late_minutes: int, online: bool) -> dict:
    """in_visit, else running_late (with minutes), else available when online, else offline."""
    if in_visit:
        return {"status": IN_VISIT}
    if late_minutes > 0:
        return {"status": RUNNING_LATE, "minutes": late_minutes}
    return {"status": AVAILABLE if online else OFFLINE}


def waiting_minutes(checked_in_at: datetime | None, now: datetime) -> int:
    """Whole minutes (rounded down) a patient has waited since checking in."""
    if checked_in_at is None:
        return 0
    return max(0, int((now - checked_in_at).total_seconds() // 60))


def due_for_no_show(mode: str, status: str, end: datetime, now: datetime) -> bool:
    """A virtual visit still only booked when it ends was missed."""
    return mode == "virtual" and status == st.BOOKED and end <= now


def due_for_starts_soon(status: str, start: datetime, now: datetime, sent_at: datetime | None) -> bool:
    """A checked-in patient hears once, in the 5 minutes before the start, that the visit starts soon."""
    return status == st.CHECKED_IN and sent_at is None and start - STARTS_SOON <= now < start


def participant_ids(attending: Sequence[int]) -> list[str]:
    """Who may be in a visit's call, as the signalling addresses them: "patient", then the clinicians.

    One clinician is "clinician" (as before joint visits existed); each clinician of a joint visit is
    "clinician-<id>", so every pair of participants can be told apart."""
    if len(attending) == 1:
        return [PATIENT_PEER, "clinician"]
    return [PATIENT_PEER, *(f"clinician-{cid}" for cid in attending)]


def clinician_peer(clinician_id: int, attending: Sequence[int]) -> str:
    """The participant id of an attending clinician."""
    return "clinician" if len(attending) == 1 else f"clinician-{clinician_id}"


def require_call_size(participants: int) -> None:
    """A call holds at most MAX_CALL_PARTICIPANTS people (patient and attending clinicians)."""
    if participants > MAX_CALL_PARTICIPANTS:
        limit = MAX_CALL_PARTICIPANTS
        raise Conflict(f"A video visit holds at most {limit} people; this one would have {participants}.")


def require_licensed(licensed: bool | None) -> None:
    """A clinician sees the patient by video only where licensed (unknown region: allowed)."""
    if licensed is False:
        raise NotLicensed("You are not licensed where the patient says they are now.")


def valid_peer_id(value: object) -> bool:
    """The shape of a participant id (`to` of a signal): a short string."""
    return isinstance(value, str) and 0 < len(value) <= MAX_PEER_ID


def valid_signal(kind: object, data: object) -> bool:
    """A WebRTC signalling message: a known kind and a JSON-sized payload that is not huge."""
    if kind not in SIGNAL_KINDS:
        return False
    if data is None or isinstance(data, bool | int | float):
        return True
    return len(repr(data)) <= MAX_SIGNAL_CHARS if isinstance(data, str | dict | list) else False
