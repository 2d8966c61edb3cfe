"""The video visit: the patient and every attending clinician join `visit:<id>`, WebRTC signalling is
relayed between them (a full mesh: each pair of participants has its own peer connection), and any
attending clinician ends it for all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain import waiting_room as wr
from televisit.domain.errors import Invalid
from televisit.models import Appointment, Clinician
from televisit.services.waiting_room import callers as access
from televisit.services.waiting_room import state as ws
from televisit.services.waiting_room.callers import Caller
from televisit.services.waiting_room.presence import record, seen_later
from televisit.services.waiting_room.state import Emit, Outcome


def roster(session: Session, appt: Appointment) -> list[dict]:
    """Everyone who may be in the call: {"id", "role", "name"}, the patient first."""
    ids = wr.participant_ids(appt.attending_ids)
    people = [("patient", appt.patient.name)]
    people += [("clinician", session.get(Clinician, cid).name) for cid in appt.attending_ids]
    return [{"id": pid, "role": role, "name": name} for pid, (role, name) in zip(ids, people, strict=True)]


def join_visit(
    session: Session, caller: Caller, appointment_id: int, *, sid: str, now: datetime, ice_servers: list
) -> Outcome:
    """The patient or a clinician of an open visit joins its room and their own participant room; the ack
    says which side and the ICE servers (a joint visit's also who they are in the call and who else may be)."""
    appt = access.load(session, caller, appointment_id)
    role = access.party_role(caller, appt)
    wr.require_in_visit(appt.status)
    wr.require_call_size(1 + len(appt.attending_ids))
    me = access.participant_id(caller, appt)
    ack = {"ok": True, "role": role, "ice_servers": list(ice_servers)}
    if len(appt.attending_ids) > 1:
        ack |= {"participant": me, "participants": roster(session, appt), "max_participants": wr.MAX_CALL_PARTICIPANTS}
    rooms = [ws.visit_room(appt.id), ws.peer_room(appt.id, me)]
    if role != "patient":  # the clinician's own socket stays what it was (their dashboard: "clinic")
        wr.require_licensed(ws.licensed(session, appt, caller.actor.clinician_id))
        record(session, sid, "visit", caller, now=now, appointment_id=appt.id, keep_existing=True)
        return Outcome(ack, [], rooms)
    # the patient's page is open on this socket (a new tab, a reconnection): they are connected
    record(session, sid, "patient", caller, now=now, appointment_id=appt.id)
    return Outcome(ack, [], [*rooms, ws.appt_room(appt.id)], later=[seen_later(appt.id, now)])


def relay_signal(
    session: Session,
    caller: Caller,
    appointment_id: int,
    kind: object,
    data: object,
    *,
    sid: str,
    to: object = None,
) -> Outcome:
    """Pass an offer, answer, ICE candidate, ready or hangup on: to the participant named by `to` only, or,
    without `to`, to everyone else in the visit. The server stamps `from` (the sender's participant id)."""
    if not wr.valid_signal(kind, data):
        raise Invalid({"kind": f"one of {', '.join(wr.SIGNAL_KINDS)}", "data": "JSON, at most 64 kB"})
    if to is not None and not wr.valid_peer_id(to):
        raise Invalid({"to": "a participant id of this visit"})
    appt = access.load(session, caller, appointment_id)
    me = access.participant_id(caller, appt)
    wr.require_in_visit(appt.status)
    payload = {"appointment_id": appt.id, "kind": kind, "data": data, "from": me}
    if to is None:
        return Outcome({"ok": True}, [Emit("signal", payload, ws.visit_room(appt.id), skip_sid=sid)])
    others = [pid for pid in wr.participant_ids(appt.attending_ids) if pid != me]
    if to not in others:
        raise Invalid({"to": f"one of {', '.join(others)}"})
    payload["to"] = to
    return Outcome({"ok": True}, [Emit("signal", payload, ws.peer_room(appt.id, to), skip_sid=sid)])


def end_visit(session: Session, caller: Caller, appointment_id: int, *, now: datetime) -> Outcome:
    """A clinician of the visit ends it for everyone: completed; all hear `visit_ended`, the lines move up."""
    appt = access.load(session, caller, appointment_id, lock=True)
    access.require_clinician(caller, appt)
    ws.lock_clinicians(session, appt.attending_ids)
    wr.require_in_visit(appt.status)
    appt.status, appt.ended_at, appt.updated_at = st.COMPLETED, now, now
    session.flush()
    data = {"appointment_id": appt.id, "status": st.COMPLETED}
    emits = [Emit("visit_ended", data, [ws.appt_room(appt.id), ws.visit_room(appt.id)])]
    emits += ws.statuses_changed(session, appt, now)
    return Outcome({"ok": True, **data}, emits, later=[ws.line_later(appt, now)])
