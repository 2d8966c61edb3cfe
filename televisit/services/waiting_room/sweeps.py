"""Waiting-room jobs: mark missed virtual visits and tell checked-in patients their visit starts soon."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.adapters.socket_emitter import jobs_emitter  # noqa: F401  (the jobs process emits through it)
from televisit.domain import appointments as st
from televisit.domain import waiting_room as wr
from televisit.models import Appointment, Clinician
from televisit.services.waiting_room import state as ws
from televisit.services.waiting_room.state import Emit

BATCH = 500  # per run; the next run (30 s later) takes the rest


def _locked(session: Session, *conditions) -> list[Appointment]:
    stmt = (
        select(Appointment)
        .where(*conditions)
        .order_by(Appointment.id)
        .limit(BATCH)
        .with_for_update(of=Appointment, skip_locked=True)
    )
    return list(session.scalars(stmt))


def sweep_no_shows(session: Session, now: datetime) -> list[Emit]:
    """Virtual visits still only booked at their end time become no-shows (no commit: the caller commits)."""
    rows = _locked(
        session,
        Appointment.status == st.BOOKED,
        Appointment.mode == "virtual",
        Appointment.start_at <= now,
        Appointment.end_at <= now,
    )
    emits = []
    for appt in rows:
        if wr.due_for_no_show(appt.mode, appt.status, appt.end_at, now):
            appt.status, appt.ended_at, appt.updated_at = st.NO_SHOW, now, now
            data = {"appointment_id": appt.id, "status": st.NO_SHOW}
            emits.append(Emit("visit_ended", data, [ws.appt_room(appt.id), ws.visit_room(appt.id)]))
    session.flush()
    return emits


def starts_soon(session: Session, now: datetime) -> list[Emit]:
    """Once per visit, 5 minutes before the start, a `notice` to the checked-in patient (the caller commits)."""
    rows = _locked(
        session,
        Appointment.status == st.CHECKED_IN,
        Appointment.starts_soon_sent_at.is_(None),
        Appointment.start_at > now,
        Appointment.start_at <= now + wr.STARTS_SOON,
    )
    emits = []
    for appt in rows:
        if wr.due_for_starts_soon(appt.status, appt.start_at, now, appt.starts_soon_sent_at):
            appt.starts_soon_sent_at = now
            emits.append(Emit("notice", _notice(session, appt, now), ws.appt_room(appt.id)))
    session.flush()
    return emits


def _notice(session: Session, appt: Appointment, now: datetime) -> dict:
    who = " and ".join(session.get(Clinician, cid).name for cid in appt.attending_ids)
    minutes = wr.minutes_until(appt.start_at, now)
    unit = "minute" if minutes == 1 else "minutes"
    message = f"Your visit with {who} starts in about {minutes} {unit}. Please stay on this page."
    return {"appointment_id": appt.id, "kind": "starts_soon", "message": message}
