"""The video visit: both sides join `visit:<id>`, relay WebRTC signalling, and the clinician ends it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain import waiting_room as wr
from televisit.domain.errors import Invalid
from televisit.services.waiting_room import callers as access
from televisit.services.waiting_room import state as ws
from televisit.services.waiting_room.callers import Caller
from televisit.services.waiting_room.presence import record, seen_later
from televisit.services.waiting_room.state import Emit, Outcome


def join_visit(
    session: Session, caller: Caller, appointment_id: int, *, sid: str, now: datetime, ice_servers: list
) -> Outcome:
    """The patient or the clinician of an open visit joins its room; the ack says which side and the ICE servers."""
    appt = access.load(session, caller, appointment_id)
    role = access.party_role(caller, appt)
    wr.require_in_visit(appt.status)
    ack = {"ok": True, "role": role, "ice_servers": list(ice_servers)}
    if role != "patient":  # the clinician's own socket stays what it was (their dashboard: "clinic")
        record(session, sid, "visit", caller, now=now, appointment_id=appt.id, keep_existing=True)
        return Outcome(ack, [], [ws.visit_room(appt.id)])
    # the patient's page is open on this socket (a new tab, a reconnection): they are connected
    record(session, sid, "patient", caller, now=now, appointment_id=appt.id)
    rooms = [ws.visit_room(appt.id), ws.appt_room(appt.id)]
    return Outcome(ack, [], rooms, later=[seen_later(appt.id, now)])


def relay_signal(
    session: Session, caller: Caller, appointment_id: int, kind: object, data: object, *, sid: str
) -> Outcome:
    """Pass an offer, answer, ICE candidate, ready or hangup to the other side of an open visit."""
    if not wr.valid_signal(kind, data):
        raise Invalid({"kind": f"one of {', '.join(wr.SIGNAL_KINDS)}", "data": "JSON, at most 64 kB"})
    appt = access.load(session, caller, appointment_id)
    role = access.party_role(caller, appt)
    wr.require_in_visit(appt.status)
    payload = {"appointment_id": appt.id, "kind": kind, "data": data, "from": role}
    return Outcome({"ok": True}, [Emit("signal", payload, ws.visit_room(appt.id), skip_sid=sid)])


def end_visit(session: Session, caller: Caller, appointment_id: int, *, now: datetime) -> Outcome:
    """The clinician ends the visit: completed; both sides hear `visit_ended`, the line moves up."""
    appt = access.load(session, caller, appointment_id, lock=True)
    access.require_clinician(caller, appt)
    ws.lock_clinician(session, appt.clinician_id)
    wr.require_in_visit(appt.status)
    appt.status, appt.ended_at, appt.updated_at = st.COMPLETED, now, now
    session.flush()
    data = {"appointment_id": appt.id, "status": st.COMPLETED}
    emits = [Emit("visit_ended", data, [ws.appt_room(appt.id), ws.visit_room(appt.id)])]
    emits.append(ws.status_changed(session, appt.clinician_id, now))
    return Outcome({"ok": True, **data}, emits, later=[ws.line_later(appt, now)])
