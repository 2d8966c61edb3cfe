"""Who is on a waiting-room socket, and what they may act on (docs/waiting-room.md, "Authentication")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain import waiting_room as wr
from televisit.domain.errors import Cancelled, Forbidden, Invalid, NotFound, Unauthorized
from televisit.domain.roles import CLINICIAN, PATIENT, Actor
from televisit.models import Appointment, Clinician
from televisit.services.auth import actor_of, user_for_token
from televisit.services.messaging import links

MAX_ID = 2**31 - 1  # ids are 32-bit integers; a larger one is not an id


@dataclass(frozen=True)
class Caller:
    """A connection's identity; a join link acts only on its appointment at the sequence it was sent for.
    `session_key`: the page session a cookie-authenticated socket rides on (checked at every event)."""

    actor: Actor
    appointment_id: int | None = None
    sequence: int | None = None
    session_key: str | None = None

    @property
    def user_id(self) -> int | None:
        """The signed-in user, or None for a join link."""
        return self.actor.user_id or None


def from_user(user, session_key: str | None = None) -> Caller:
    """A caller signed in with the session cookie (its server-side session's key)."""
    return Caller(actor_of(user), session_key=session_key)


def from_token(session: Session, token: object, *, now: datetime) -> Caller:
    """A caller from an API bearer token; Unauthorized when it is not a live token."""
    user = user_for_token(session, token, now=now) if isinstance(token, str) and token else None
    if user is None:
        raise Unauthorized("The token is invalid, expired or revoked.")
    return Caller(actor_of(user))


def from_join(session: Session, secret: str, token: object, *, now: datetime) -> Caller:
    """A caller from a signed join link; refused once the visit has moved or been cancelled."""
    if not isinstance(token, str) or not token:
        raise Unauthorized("Sign in or use the link from your reminder.")
    claims = links.read(secret, "join", token, now=now)
    appt = session.get(Appointment, claims.appointment_id)
    if appt is None or appt.sequence != claims.sequence:
        raise Forbidden("This link is for an earlier version of your appointment; please use the newest message.")
    if appt.status == st.CANCELLED:
        raise Cancelled("This appointment was cancelled.")
    return Caller(Actor(0, PATIENT, appt.patient_id), appt.id, appt.sequence)


def load(session: Session, caller: Caller, appointment_id: int, *, lock: bool = False) -> Appointment:
    """The appointment if the caller may see it (NotFound otherwise, as in the JSON API); locked when asked."""
    if caller.appointment_id is not None and appointment_id != caller.appointment_id:
        raise Forbidden("This link is for another appointment.")
    stmt = select(Appointment).where(Appointment.id == appointment_id)
    if lock:
        stmt = stmt.with_for_update(of=Appointment).execution_options(populate_existing=True)
    appt = session.scalars(stmt).first()
    if appt is None or not caller.actor.may_see(appt.patient_id, appt.clinician_id, appt.attending_ids):
        raise NotFound("No such appointment.")
    if caller.sequence is not None and appt.sequence != caller.sequence:
        raise Forbidden("This link is for an earlier version of your appointment; please use the newest message.")
    return appt


def require_patient(caller: Caller, appt: Appointment) -> None:
    """Only the appointment's own patient."""
    if caller.actor.role != PATIENT or caller.actor.patient_id != appt.patient_id:
        raise Forbidden("Only the patient of this visit can do this.")


def attends(caller: Caller, appt: Appointment) -> bool:
    """True for a clinician attending the visit (its clinician, or any of a joint visit's)."""
    actor = caller.actor
    return actor.role == CLINICIAN and actor.clinician_id is not None and actor.clinician_id in appt.attending_ids


def require_clinician(caller: Caller, appt: Appointment) -> int:
    """Only a clinician attending the visit; returns their clinician id."""
    if not attends(caller, appt):
        raise Forbidden("Only the clinician of this visit can do this.")
    return caller.actor.clinician_id


def party_role(caller: Caller, appt: Appointment) -> str:
    """'patient' or 'clinician' for the people of the visit; Forbidden for anyone else."""
    actor = caller.actor
    if actor.role == PATIENT and actor.patient_id == appt.patient_id:
        return "patient"
    if attends(caller, appt):
        return "clinician"
    raise Forbidden("Only the patient and the clinician of this visit can join it.")


def participant_id(caller: Caller, appt: Appointment) -> str:
    """The caller's id in the visit's call ("patient", "clinician", "clinician-<id>"); Forbidden for outsiders."""
    if party_role(caller, appt) == "patient":
        return wr.PATIENT_PEER
    return wr.clinician_peer(caller.actor.clinician_id, appt.attending_ids)


def own_clinician(caller: Caller) -> int:
    """The caller's clinician id; Forbidden unless the caller is a clinician linked to a clinician record."""
    if caller.actor.role != CLINICIAN or caller.actor.clinician_id is None:
        raise Forbidden("Only a clinician can do this.")
    return caller.actor.clinician_id


def clinic_to_watch(session: Session, caller: Caller, clinician_id: object) -> int:
    """Whose waiting list the caller may read: a clinician their own; schedulers and admins any (by id)."""
    actor = caller.actor
    if actor.role == CLINICIAN and caller.appointment_id is None:
        own = own_clinician(caller)
        if clinician_id not in (None, own):
            raise Forbidden("A clinician can watch only their own waiting list.")
        return own
    if not actor.is_booker or caller.appointment_id is not None:
        raise Forbidden("Only clinicians and staff can watch a waiting list.")
    if not isinstance(clinician_id, int) or isinstance(clinician_id, bool) or not 1 <= clinician_id <= MAX_ID:
        raise Invalid({"clinician_id": "required: the clinician whose waiting list to watch"})
    if session.get(Clinician, clinician_id) is None:
        raise NotFound("No such clinician.")
    return clinician_id
