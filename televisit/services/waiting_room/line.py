"""Waiting-room use cases (docs/waiting-room.md): patients check in and wait, the clinician runs the line.

Each takes the session, the caller and `now`, changes the database without committing, and returns an
Outcome: the ack, the events to emit once the caller has committed, and the rooms the socket joins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain import waiting_room as wr
from televisit.domain.care import UrgentOpen
from televisit.domain.errors import Invalid
from televisit.domain.timezones import render
from televisit.models import Appointment, ClinicianPresence, WaitingMessage
from televisit.services.urgent import cases as urgent_cases
from televisit.services.waiting_room import callers as access
from televisit.services.waiting_room import state as ws
from televisit.services.waiting_room.callers import Caller
from televisit.services.waiting_room.presence import disconnected, record, seen_later
from televisit.services.waiting_room.state import Emit, Outcome
from televisit.services.waiting_room.sweeps import starts_soon, sweep_no_shows
from televisit.services.waiting_room.visit import end_visit, join_visit, relay_signal

__all__ = [
    "admit",
    "check_in",
    "disconnected",
    "end_visit",
    "join_clinic",
    "join_visit",
    "no_show",
    "patient_message",
    "precheck",
    "relay_signal",
    "running_late",
    "send_message",
    "starts_soon",
    "sweep_no_shows",
    "visit_url",
]


def visit_url(public_url: str, appointment_id: int) -> str:
    """The patient's page, which turns into the video visit."""
    return f"{public_url}/waiting-room/{appointment_id}?view=visit"


def _declared(region: object, consent: object, *, required: bool) -> tuple[str | None, bool | None]:
    errors = {}
    if (region is not None or required) and not wr.valid_region(region):
        errors["region"] = "a region code such as US-OH or GB"
    if consent is not None and not isinstance(consent, bool):
        errors["consent"] = "true or false"
    if errors:
        raise Invalid(errors)
    return region, consent  # type: ignore[return-value]


def _declare(session: Session, appt: Appointment, region: str | None, consent: bool | None, now: datetime):
    """Record where the patient is and their video consent; alert each clinician of the visit who holds no
    licence there."""
    if consent is not None:
        appt.video_consent_at = (appt.video_consent_at or now) if consent else None
    if region is None:
        return []
    appt.check_in_region = region
    out = ws.unlicensed(session, appt)
    if not out:
        return []
    appt.licensure_alert_at = now
    message = f"{appt.patient.name} says they are in {region}, where you hold no licence; admitting is blocked."
    data = {"appointment_id": appt.id, "kind": "not_licensed", "region": region, "message": message}
    return [Emit("alert", data, ws.clinic_room(cid)) for cid in out]


def _not_licensed_text(appt: Appointment, region: str) -> str:
    if len(appt.attending_ids) > 1:
        return f"One of your clinicians is not licensed to see you by video in {region}."
    return f"Your clinician is not licensed to see you by video in {region}."


def _lists(session: Session, appt: Appointment, now: datetime) -> list[Emit]:
    """The waiting list of each clinician of the visit, read now."""
    return [ws.list_emit(session, cid, now) for cid in appt.attending_ids]


URGENT_AT_CHECK_IN = (
    "You told us about new symptoms that need urgent attention, so you can't check in for this visit. "
    "Please call the numbers on the urgent page now."
)


def _new_symptoms(value: object) -> bool | None:
    """The answer to "since booking, any new red-flag symptoms?": true, false, or not asked (None)."""
    if value is not None and not isinstance(value, bool):
        raise Invalid({"new_symptoms": "true or false"}, "Please answer whether you have had any of these symptoms.")
    return value


def _urgent(session: Session, appt: Appointment, region: str, sid: str, caller: Caller, now, alert_to) -> Outcome:
    """New red-flag symptoms since booking: no check-in; an urgent case for the desk, and the urgent page."""
    appt.check_in_region = region  # the urgent page names the numbers for where they are now
    urgent_cases.open_at_check_in(session, appt, now=now, alert_to=alert_to)
    record(session, sid, "patient", caller, now=now, appointment_id=appt.id)
    return Outcome({"ok": True, "urgent": True, "message": URGENT_AT_CHECK_IN}, [], [ws.appt_room(appt.id)])


def precheck(
    session: Session,
    caller: Caller,
    appointment_id: int,
    *,
    region: object,
    consent: object,
    sid: str,
    now: datetime,
    new_symptoms: object = None,
    alert_to: str | None = None,
) -> Outcome:
    """The patient says where they are, whether they have had new red-flag symptoms since booking (yes: an
    urgent case and no check-in; the ack says `urgent`) and consents to video; the ack says whether the
    clinician may see them."""
    region, consent = _declared(region, consent, required=True)
    symptoms = _new_symptoms(new_symptoms)
    appt = access.load(session, caller, appointment_id, lock=True)
    access.require_patient(caller, appt)
    wr.require_precheck_allowed(appt.mode, appt.status, appt.start_at, appt.end_at, now)
    if symptoms and appt.status == st.BOOKED:
        return _urgent(session, appt, region, sid, caller, now, alert_to)
    emits = _declare(session, appt, region, consent, now)
    record(session, sid, "patient", caller, now=now, appointment_id=appt.id)
    if appt.status == st.CHECKED_IN:
        emits += _lists(session, appt, now)
    ok = ws.all_licensed(session, appt) is not False
    message = "You're all set." if ok else _not_licensed_text(appt, region)
    return Outcome({"ok": True, "licensed": ok, "message": message}, emits, [ws.appt_room(appt.id)])


def _rejoin_visit(appt: Appointment, public_url: str, now: datetime) -> Outcome:
    url = visit_url(public_url, appt.id)
    data = {"appointment_id": appt.id, "visit_url": url}
    rooms = [ws.appt_room(appt.id), ws.line_room(appt.clinician_id)]
    ack = {"ok": True, "status": st.IN_VISIT, **data}
    return Outcome(ack, [Emit("admitted", data, rooms[0])], rooms, later=[seen_later(appt.id, now)])


def check_in(
    session: Session,
    caller: Caller,
    appointment_id: int,
    *,
    sid: str,
    now: datetime,
    public_url: str,
    region: object = None,
    consent: object = None,
) -> Outcome:
    """Check in (idempotent: checking in again keeps `checked_in_at` and the place); ack carries the queue."""
    region, consent = _declared(region, consent, required=False)
    appt = access.load(session, caller, appointment_id, lock=True)
    access.require_patient(caller, appt)
    if appt.status == st.IN_VISIT:  # reconnected after being admitted: straight back to the visit
        record(session, sid, "patient", caller, now=now, appointment_id=appt.id)
        return _rejoin_visit(appt, public_url, now)
    wr.check_in_refusal(appt.mode, appt.status, appt.start_at, appt.end_at, now)
    if appt.status == st.CHECKED_IN:  # again: a reconnection or a resync; nobody's place moves
        return _check_in_again(session, caller, appt, sid=sid, now=now, region=region, consent=consent)
    if appt.status == st.BOOKED and urgent_cases.open_for_visit(session, appt.id) is not None:
        raise UrgentOpen(URGENT_AT_CHECK_IN)
    ws.lock_clinicians(session, appt.attending_ids)
    emits = _declare(session, appt, region, consent, now)
    if appt.status == st.BOOKED:
        appt.status, appt.checked_in_at, appt.updated_at = st.CHECKED_IN, now, now
    record(session, sid, "patient", caller, now=now, appointment_id=appt.id)
    session.flush()
    emits += ws.line_changed(session, appt, now)  # all now: the ack needs this patient's own queue
    queue = next((e.data for e in emits if e.event == "queue" and e.data["appointment_id"] == appt.id), None)
    return Outcome(_checked_in_ack(session, appt, queue), emits, _patient_rooms(appt))


def _checked_in_ack(session: Session, appt: Appointment, queue: dict | None) -> dict:
    return {
        "ok": True,
        "queue": queue,
        "checked_in_at": render(appt.checked_in_at, ws.zone_of(appt)),
        "licensed": ws.all_licensed(session, appt),
        "messages": ws.messages_of(session, [appt]),
    }


def _patient_rooms(appt: Appointment) -> list[str]:
    return [ws.appt_room(appt.id), ws.line_room(appt.clinician_id)]


def _check_in_again(
    session: Session, caller: Caller, appt: Appointment, *, sid: str, now: datetime, region, consent
) -> Outcome:
    """A patient already checked in checks in again (every page does on each connect: after a socket process died,
    hundreds at once). The line does not change, so no clinician's line is locked and nobody else hears a `queue`:
    the socket is recorded, the ack (and a `queue` to the patient's own room) carries the patient's own place read
    now, and the clinic's list (who is connected, the region) is sent after the commit. A region or consent given
    is recorded as on a first check-in."""
    emits = _declare(session, appt, region, consent, now)
    record(session, sid, "patient", caller, now=now, appointment_id=appt.id)
    session.flush()
    queue = ws.own_queue(session, appt, now)
    if queue is not None:  # to the patient's own sockets (the new one, another tab), as a first check-in does
        emits.append(Emit("queue", queue, ws.appt_room(appt.id)))
    return Outcome(_checked_in_ack(session, appt, queue), emits, _patient_rooms(appt), later=[seen_later(appt.id, now)])


UNSAFE_TEXT = (
    "Your message contains control characters (such as NUL or text-direction marks) that can't be sent. "
    "Please remove them and try again."
)


def _text(text: object) -> str:
    if isinstance(text, str) and (bad := wr.unsafe_characters(text)):
        raise Invalid({"text": f"no control or text-direction characters (found {', '.join(bad)})"}, UNSAFE_TEXT)
    clean = wr.clean_text(text)
    if clean is None:
        raise Invalid({"text": f"1 to {wr.MAX_TEXT} characters"})
    return clean


def _store(session: Session, appt: Appointment, sender: str, body: str, now: datetime) -> str:
    session.add(WaitingMessage(appointment_id=appt.id, sender=sender, body=body, created_at=now))
    return render(now, ws.zone_of(appt))


def patient_message(session: Session, caller: Caller, appointment_id: int, text: object, *, now: datetime) -> Outcome:
    """A waiting patient writes to the clinic (`patient_message` to the clinician's dashboard)."""
    body = _text(text)
    appt = access.load(session, caller, appointment_id)
    access.require_patient(caller, appt)
    wr.require_waitable(appt.mode, appt.status)
    if appt.status == st.BOOKED:
        wr.require_open(appt.start_at, appt.end_at, now)
    at = _store(session, appt, "patient", body, now)
    data = {"appointment_id": appt.id, "name": appt.patient.name, "text": body, "at": at}
    return Outcome({"ok": True, "at": at}, [Emit("patient_message", data, ws.clinic_rooms(appt.attending_ids))])


def send_message(session: Session, caller: Caller, appointment_id: int, text: object, *, now: datetime) -> Outcome:
    """The clinic writes to a patient (`clinic_message` to the patient's sockets)."""
    body = _text(text)
    appt = access.load(session, caller, appointment_id)
    access.require_clinician(caller, appt)
    wr.require_waitable(appt.mode, appt.status)
    at = _store(session, appt, "clinic", body, now)
    data = {"appointment_id": appt.id, "text": body, "at": at}
    return Outcome({"ok": True, "at": at}, [Emit("clinic_message", data, ws.appt_room(appt.id))])


def join_clinic(session: Session, caller: Caller, clinician_id: object, *, sid: str, now: datetime) -> Outcome:
    """A clinician opens their dashboard (staff may watch any clinician's); the ack carries the list and status."""
    cid = access.clinic_to_watch(session, caller, clinician_id)
    own = caller.actor.clinician_id == cid
    was_online = ws.online(session, cid)
    if own:
        record(session, sid, "clinic", caller, now=now, clinician_id=cid)
        session.flush()
    status = ws.status_of(session, cid, now)
    listing = ws.waiting_list(session, cid, now)
    emits = [] if was_online or not own else [Emit("clinician_status", status, ws.line_room(cid))]
    shown = [p["appointment_id"] for p in listing["patients"] + [listing["in_visit"]] + listing["other_visits"] if p]
    messages = ws.messages_of(session, [session.get(Appointment, i) for i in shown])
    ack = {"ok": True, "waiting_list": listing, "status": status, "messages": messages}
    return Outcome(ack, emits, [ws.clinic_room(cid)])


def admit(session: Session, caller: Caller, appointment_id: int, *, now: datetime, public_url: str) -> Outcome:
    """A clinician of the visit lets a checked-in patient in: the visit opens (`admitted` to the patient).

    A joint visit opens on its first admit; another of its clinicians admitting it then joins the visit
    in progress (an ack, nothing changes)."""
    appt = access.load(session, caller, appointment_id, lock=True)
    cid = access.require_clinician(caller, appt)
    ws.lock_clinicians(session, appt.attending_ids)
    data = {"appointment_id": appt.id, "visit_url": visit_url(public_url, appt.id)}
    if appt.status == st.IN_VISIT and len(appt.attending_ids) > 1:
        wr.require_licensed(ws.licensed(session, appt, cid))
        return Outcome({"ok": True, **data})
    current = ws.visit_in_progress(session, cid, now)
    wr.require_admittable(appt.status, ws.licensed(session, appt, cid), current is not None and current.id != appt.id)
    appt.status, appt.admitted_at, appt.updated_at = st.IN_VISIT, now, now
    session.flush()
    emits = [Emit("admitted", data, ws.appt_room(appt.id)), *ws.statuses_changed(session, appt, now)]
    return Outcome({"ok": True, **data}, emits, later=[ws.line_later(appt, now)])


def running_late(session: Session, caller: Caller, minutes: object, *, now: datetime) -> Outcome:
    """The clinician says how late they are running (0 clears it); every waiting patient hears, ETAs move."""
    if not wr.valid_late_minutes(minutes):
        raise Invalid({"minutes": f"a whole number from 0 to {wr.MAX_LATE_MINUTES}"})
    cid = access.own_clinician(caller)
    ws.lock_clinician(session, cid)
    row = session.get(ClinicianPresence, cid) or ClinicianPresence(clinician_id=cid)
    row.late_minutes, row.updated_at = minutes, now
    session.add(row)
    session.flush()
    status = ws.clinician_now(session, cid, now).status
    emits = [Emit("clinician_status", status, [ws.line_room(cid), ws.clinic_room(cid)])]  # one broadcast, first
    return Outcome({"ok": True, "status": status}, emits, later=[ws.all_queues_later(cid, now)])


def no_show(session: Session, caller: Caller, appointment_id: int, *, now: datetime) -> Outcome:
    """The clinician marks a patient who did not come (from the start time on)."""
    appt = access.load(session, caller, appointment_id, lock=True)
    access.require_clinician(caller, appt)
    ws.lock_clinicians(session, appt.attending_ids)
    wr.require_no_show_allowed(appt.status, appt.start_at, now)
    appt.status, appt.ended_at, appt.updated_at = st.NO_SHOW, now, now
    session.flush()
    data = {"appointment_id": appt.id, "status": st.NO_SHOW}
    emits = [Emit("visit_ended", data, [ws.appt_room(appt.id), ws.visit_room(appt.id)])]
    emits += ws.statuses_changed(session, appt, now)
    return Outcome({"ok": True, **data}, emits, later=[ws.line_later(appt, now)])
