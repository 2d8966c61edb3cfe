"""Waiting-room reads and the payloads they become: the line, queues, the waiting list, clinician status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain import waiting_room as wr
from televisit.domain.formatting import format_time, locale_for
from televisit.domain.timezones import get_zone, local_date, render
from televisit.models import Appointment, Clinician, ClinicianPresence, Reservation, SocketPresence, WaitingMessage

NEAR = timedelta(days=1)  # a line is one local day; this bounds the rows read to find it
HISTORY = 50  # messages handed back on (re)joining


@dataclass(frozen=True)
class Emit:
    """One Socket.IO event to send to a room (or rooms) once the transaction has committed."""

    event: str
    data: dict
    room: str | list[str]
    skip_sid: str | None = None


Later = Callable[[Session], list[Emit]]
"""Events worked out after the commit, in a fresh transaction, once the urgent ones have gone out."""


@dataclass
class Outcome:
    """What a use case hands back: the ack for the caller, the events to emit, the rooms the caller joins.

    `later` holds the slow part of a change's news (a `queue` event per waiting patient): the runner
    builds and sends it after `emits`, so a broadcast to 500 patients does not wait for 500 payloads.
    """

    ack: dict
    emits: list[Emit] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    later: list[Later] = field(default_factory=list)


def appt_room(appointment_id: int) -> str:
    """The patient's sockets for one appointment."""
    return f"appt:{appointment_id}"


def line_room(clinician_id: int) -> str:
    """Every checked-in patient socket of a clinician."""
    return f"line:{clinician_id}"


def clinic_room(clinician_id: int) -> str:
    """The clinician's dashboard sockets (and staff watching it)."""
    return f"clinic:{clinician_id}"


def visit_room(appointment_id: int) -> str:
    """Everyone in an open visit."""
    return f"visit:{appointment_id}"


def clinic_rooms(clinician_ids: list[int]) -> str | list[str]:
    """The dashboards of every clinician of a visit (one room name for a one-clinician visit)."""
    rooms = [clinic_room(cid) for cid in clinician_ids]
    return rooms[0] if len(rooms) == 1 else rooms


def peer_room(appointment_id: int, participant: str) -> str:
    """One participant's sockets in an open visit (`participant` as wr.participant_ids names them)."""
    return f"visit:{appointment_id}:{participant}"


def lock_clinician(session: Session, clinician_id: int) -> None:
    """Serialize changes to one clinician's line (FOR NO KEY UPDATE: bookings' FK checks still pass)."""
    stmt = select(Clinician.id).where(Clinician.id == clinician_id).with_for_update(key_share=True)
    session.execute(stmt)


def lock_clinicians(session: Session, clinician_ids: list[int]) -> None:
    """Lock the lines of every clinician of a visit, lowest id first (two joint visits never deadlock)."""
    for cid in sorted(set(clinician_ids)):
        lock_clinician(session, cid)


def attended(session: Session, clinician_id: int, *conditions) -> list[Appointment]:
    """The appointments matching `conditions` that the clinician attends: their own, then the joint visits
    they attend beside another lead (found through the reservations a joint visit holds for each)."""
    own = select(Appointment).where(Appointment.clinician_id == clinician_id, *conditions)
    others = select(Reservation.appointment_id).where(
        Reservation.clinician_id == clinician_id, Reservation.holding, ~Reservation.is_primary
    )
    joint = select(Appointment).where(Appointment.id.in_(others), *conditions)
    found = {a.id: a for a in session.scalars(own)}
    found.update((a.id, a) for a in session.scalars(joint))
    return list(found.values())


def zone_of(appt: Appointment):
    """The appointment location's zone."""
    return get_zone(appt.location.timezone)


def waiting(appt: Appointment) -> wr.Waiting:
    """The domain view of a checked-in appointment."""
    return wr.Waiting(appt.id, appt.start_at, appt.end_at)


def _checked_in_near(session: Session, clinician_id: int, around: datetime) -> list[Appointment]:
    return attended(
        session,
        clinician_id,
        Appointment.status == st.CHECKED_IN,
        Appointment.start_at >= around - NEAR,
        Appointment.start_at <= around + NEAR,
    )


def _line_from(appts: list[Appointment], day: date) -> list[Appointment]:
    by_id = {a.id: a for a in appts}
    line = wr.same_day_line(((waiting(a), zone_of(a)) for a in by_id.values()), day)
    return [by_id[w.appointment_id] for w in line]


def line_appointments(session: Session, clinician_id: int, day: date, around: datetime) -> list[Appointment]:
    """The checked-in appointments of the clinician whose start is on local `day`, in line order."""
    return _line_from(_checked_in_near(session, clinician_id, around), day)


def line_of(session: Session, appt: Appointment, clinician_id: int | None = None) -> list[Appointment]:
    """The line `appt` is (or would be) in: the clinician's (default its lead's) checked-in visits on its
    local day, a joint visit in each of its clinicians' lines."""
    day = local_date(appt.start_at, zone_of(appt))
    return line_appointments(session, clinician_id or appt.clinician_id, day, appt.start_at)


def lines_now(session: Session, clinician_id: int, now: datetime) -> list[list[Appointment]]:
    """Every line of the clinician with someone checked in around `now` (normally just today's)."""
    days = {}
    for a in _checked_in_near(session, clinician_id, now):
        days.setdefault(local_date(a.start_at, zone_of(a)), []).append(a)
    return [sorted(items, key=_line_key) for _, items in sorted(days.items())]


def _line_key(appt: Appointment) -> tuple:
    return (appt.start_at, appt.id)  # wr.line_order's order


def late_minutes(session: Session, clinician_id: int) -> int:
    """How late the clinician said they are running (0 = on time)."""
    row = session.get(ClinicianPresence, clinician_id)
    return row.late_minutes if row else 0


def _opened(appt: Appointment) -> tuple:
    return (appt.admitted_at is None, appt.admitted_at or appt.start_at, appt.id)


def visits_in_progress(session: Session, clinician_id: int, now: datetime) -> list[Appointment]:
    """The open visits the clinician attends, the earliest opened first (visits left open for over a day are
    not counted). One at most, but for a joint visit a colleague opened while this clinician was in another."""
    found = attended(session, clinician_id, Appointment.status == st.IN_VISIT, Appointment.start_at >= now - NEAR)
    return sorted(found, key=_opened)


def visit_in_progress(session: Session, clinician_id: int, now: datetime) -> Appointment | None:
    """The clinician's open visit, if any: the one they were in first."""
    running = visits_in_progress(session, clinician_id, now)
    return running[0] if running else None


def online(session: Session, clinician_id: int) -> bool:
    """True while one of the clinician's dashboard sockets is connected."""
    stmt = select(SocketPresence.sid).where(
        SocketPresence.clinician_id == clinician_id, SocketPresence.kind == "clinic"
    )
    return session.scalars(stmt.limit(1)).first() is not None


def status_of(session: Session, clinician_id: int, now: datetime) -> dict:
    """The clinician's status payload: {"status", "minutes"?}."""
    return wr.clinician_status(
        in_visit=visit_in_progress(session, clinician_id, now) is not None,
        late_minutes=late_minutes(session, clinician_id),
        online=online(session, clinician_id),
    )


def licensed(session: Session, appt: Appointment, clinician_id: int | None = None) -> bool | None:
    """Whether the clinician (default the visit's lead) is licensed where the patient is (said at check-in,
    else at booking); None when the region is unknown."""
    clinician = session.get(Clinician, clinician_id or appt.clinician_id)
    return wr.region_licensed(clinician.licenses, appt.check_in_region or appt.patient_region)


def unlicensed(session: Session, appt: Appointment) -> list[int]:
    """The attending clinicians not licensed where the patient is."""
    return [cid for cid in appt.attending_ids if licensed(session, appt, cid) is False]


def all_licensed(session: Session, appt: Appointment) -> bool | None:
    """Whether every attending clinician is licensed where the patient is (None: the region is unknown)."""
    if unlicensed(session, appt):
        return False
    return licensed(session, appt)


@dataclass(frozen=True)
class ClinicianNow:
    """What every payload about a clinician's line needs, read once per change."""

    late: int
    running: list[Appointment]
    online: bool

    @property
    def current(self) -> Appointment | None:
        """The visit in progress (the first opened, when a joint visit began while they were in another)."""
        return self.running[0] if self.running else None

    @property
    def status(self) -> dict:
        return wr.clinician_status(in_visit=self.current is not None, late_minutes=self.late, online=self.online)


def clinician_now(session: Session, clinician_id: int, now: datetime) -> ClinicianNow:
    """The clinician's lateness, open visits and presence."""
    return ClinicianNow(
        late_minutes(session, clinician_id),
        visits_in_progress(session, clinician_id, now),
        online(session, clinician_id),
    )


def queue_emits(
    session: Session, clinician_id: int, line: list[Appointment], now: datetime, state: ClinicianNow | None = None
) -> list[Emit]:
    """A `queue` event for every appointment in the clinician's `line` that they lead, each to its own patient.

    A joint visit stands in the line of each of its clinicians, but its patient hears their place in the
    lead clinician's line only (one story, as their page shows one clinician's status)."""
    if not line:
        return []
    state = state or clinician_now(session, clinician_id, now)
    c = state.current
    left = wr.visit_minutes_left(c.admitted_at, c.start_at, c.end_at, now) if c else 0
    status = state.status["status"]
    places = wr.queue_positions([waiting(a) for a in line], now=now, visit_left=left, late=state.late)
    led = [(a.id, place) for a, place in zip(line, places, strict=True) if a.clinician_id == clinician_id]
    return [
        Emit(
            "queue",
            {
                "appointment_id": appointment_id,
                "position": position,
                "eta_minutes": eta,
                "clinician_status": status,
                "late_minutes": state.late,
            },
            appt_room(appointment_id),
        )
        for appointment_id, (position, eta) in led
    ]


def own_queue(session: Session, appt: Appointment, now: datetime) -> dict | None:
    """The `queue` payload of `appt`'s own patient (its place in its lead clinician's line), read now."""
    line = line_of(session, appt)
    return next(
        (e.data for e in queue_emits(session, appt.clinician_id, line, now) if e.data["appointment_id"] == appt.id),
        None,
    )


def _connected_ids(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    stmt = select(SocketPresence.appointment_id).where(
        SocketPresence.appointment_id.in_(ids), SocketPresence.kind == "patient"
    )
    return set(session.scalars(stmt))


def _item(a: Appointment, connected: set[int], licenses: list, now: datetime) -> dict:
    zone, region = zone_of(a), a.check_in_region or a.patient_region
    locale = locale_for(a.location.region, a.location.timezone)  # the site's clock, as the clinic reads it
    return {
        "appointment_id": a.id,
        "name": a.patient.name,
        "start": render(a.start_at, zone),
        "start_label": format_time(a.start_at, zone, locale),
        "checked_in_at": render(a.checked_in_at, zone) if a.checked_in_at else None,
        "checked_in_label": format_time(a.checked_in_at, zone, locale) if a.checked_in_at else None,
        "waiting_minutes": wr.waiting_minutes(a.checked_in_at, now),
        "connected": a.id in connected,
        "status": a.status,
        "region": region,
        "licensed": wr.region_licensed(licenses, region),
        "location_id": a.location_id,
        "mode": a.mode,
        "clinician_ids": a.attending_ids,
    }


def waiting_list(session: Session, clinician_id: int, now: datetime, running: list[Appointment] | None = None) -> dict:
    """The clinician's line today (next first, joint visits they attend included), the visit in progress
    (`in_visit`, or None) and `other_visits`: joint visits in progress that a colleague opened while this
    clinician was in another visit (normally empty)."""
    near = _checked_in_near(session, clinician_id, now)
    today = {local_date(now, zone_of(a)) for a in near}
    appts = [a for day in sorted(today) for a in _line_from(near, day)]
    running = running if running is not None else visits_in_progress(session, clinician_id, now)
    connected = _connected_ids(session, [a.id for a in appts + running])
    licenses = list(session.get(Clinician, clinician_id).licenses or [])
    return {
        "clinician_id": clinician_id,
        "patients": [_item(a, connected, licenses, now) for a in appts],
        "in_visit": _item(running[0], connected, licenses, now) if running else None,
        "other_visits": [_item(a, connected, licenses, now) for a in running[1:]],
    }


def list_emit(session: Session, clinician_id: int, now: datetime) -> Emit:
    """The clinician's waiting list, read now, to their clinic."""
    return Emit("waiting_list", waiting_list(session, clinician_id, now), clinic_room(clinician_id))


def status_changed(session: Session, clinician_id: int, now: datetime) -> Emit:
    """The clinician's status, to their line and their clinic (one broadcast)."""
    status = status_of(session, clinician_id, now)
    return Emit("clinician_status", status, [line_room(clinician_id), clinic_room(clinician_id)])


def statuses_changed(session: Session, appt: Appointment, now: datetime) -> list[Emit]:
    """`status_changed` for each clinician of the visit (a joint visit's open or end changes them all)."""
    return [status_changed(session, cid, now) for cid in appt.attending_ids]


def line_changed(session: Session, appt: Appointment, now: datetime) -> list[Emit]:
    """After a change to `appt`'s line, all read now: the lead clinician's status (first), then each attending
    clinician's waiting list and each waiting patient's own place and wait (one event each)."""
    return [status_changed(session, appt.clinician_id, now), *line_later(appt, now)(session)]


def line_later(appt: Appointment, now: datetime) -> Later:
    """For each clinician of the visit, their waiting list and a `queue` event for everyone in the line
    `appt` stands in, read after the commit."""
    attending, appointment_id = appt.attending_ids, appt.id

    def build(session: Session) -> list[Emit]:
        moved = session.get(Appointment, appointment_id)
        if moved is None:
            return []
        emits = []
        for clinician_id in attending:
            state = clinician_now(session, clinician_id, now)
            listing = waiting_list(session, clinician_id, now, state.running)
            emits.append(Emit("waiting_list", listing, clinic_room(clinician_id)))
            emits += queue_emits(session, clinician_id, line_of(session, moved, clinician_id), now, state)
        return emits

    return build


def all_queues_later(clinician_id: int, now: datetime) -> Later:
    """A `queue` event for everyone waiting for the clinician (every line around `now`), read after the commit."""

    def build(session: Session) -> list[Emit]:
        state = clinician_now(session, clinician_id, now)
        return [
            e
            for line in lines_now(session, clinician_id, now)
            for e in queue_emits(session, clinician_id, line, now, state)
        ]

    return build


def message_json(m: WaitingMessage, zone) -> dict:
    """A stored message as the sockets show it."""
    return {"appointment_id": m.appointment_id, "sender": m.sender, "text": m.body, "at": render(m.created_at, zone)}


def messages_of(session: Session, appts: list[Appointment]) -> list[dict]:
    """The latest messages of these appointments, oldest first, each in its location's zone."""
    zones = {a.id: zone_of(a) for a in appts}
    if not zones:
        return []
    stmt = (
        select(WaitingMessage)
        .where(WaitingMessage.appointment_id.in_(list(zones)))
        .order_by(WaitingMessage.id.desc())
        .limit(HISTORY)
    )
    return [message_json(m, zones[m.appointment_id]) for m in reversed(list(session.scalars(stmt)))]
