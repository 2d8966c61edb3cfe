"""Who may open the waiting-room pages, and when: the patient's page (session or join link) and the clinic.

The pages only render; the socket events check their callers again (televisit/services/waiting_room/callers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain import appointments as st
from televisit.domain import waiting_room as wr
from televisit.domain.errors import Forbidden, NotFound, Unauthorized
from televisit.domain.formatting import locale_for, own_first
from televisit.domain.roles import CLINICIAN, PATIENT, Actor
from televisit.domain.timezones import get_zone
from televisit.models import Appointment, Clinician, VisitType
from televisit.services.messaging.links import LinkClaims

OPEN_STATUSES = (st.BOOKED, st.CHECKED_IN, st.IN_VISIT)
STALE = "This link is for an earlier version of your appointment; please use the newest message."
CLOSED = {
    st.CANCELLED: "This visit was cancelled, so its waiting room is closed.",
    st.COMPLETED: "This visit has ended. Thank you.",
    st.NO_SHOW: "This visit was marked as missed. Please contact the clinic to book another time.",
    st.PENDING: wr.NOT_BOOKED,
}


@dataclass(frozen=True)
class PatientRoom:
    """What the patient's page shows: the visit, with whom, and when on both clocks."""

    appointment: Appointment
    clinician: Clinician
    visit_type: VisitType
    when: str
    team: tuple[str, ...] = ()  # every attending clinician's name (a joint visit has several)

    @property
    def with_whom(self) -> str:
        """The clinicians of the visit, in words ("Dr. A", "Dr. A and Dr. B", "Dr. A, Dr. B and Dr. C")."""
        names = list(self.team) or [self.clinician.name]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class NotOpenYet(Forbidden):
    """The waiting room is not open yet (a page: 403); the message says when it opens."""

    code = "too_early"


def opens_at(appt: Appointment) -> datetime:
    """When the waiting room opens (30 minutes before the start)."""
    return wr.opens_at(appt.start_at)


def is_open(appt: Appointment, now: datetime) -> bool:
    """A virtual visit's room is open from 30 minutes before until the end, and for as long as the visit runs."""
    if appt.mode != "virtual" or appt.status not in OPEN_STATUSES:
        return False
    return appt.status == st.IN_VISIT or wr.window_state(appt.start_at, appt.end_at, now) == "open"


def when(appt: Appointment, instant: datetime | None = None) -> str:
    """An instant of the visit on the patient's own clock, and on the site's (named by its city) when it differs."""
    p, site = appt.patient, appt.location
    locale = p.locale or locale_for(p.region, p.timezone)
    return own_first(instant or appt.start_at, get_zone(p.timezone), get_zone(site.timezone), site.city, locale)


def _for_link(session: Session, appointment_id: int, claims: LinkClaims) -> Appointment:
    if claims.appointment_id != appointment_id:
        raise Forbidden("This link is not valid for this visit.")
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        raise NotFound("We couldn't find that visit.")
    if appt.sequence != claims.sequence:
        raise Forbidden(STALE)
    return appt


def _for_actor(session: Session, appointment_id: int, actor: Actor | None) -> Appointment:
    if actor is None:
        raise Unauthorized("Please sign in, or open the link in your reminder, to enter the waiting room.")
    appt = session.get(Appointment, appointment_id)
    if appt is None or not actor.may_see(appt.patient_id, appt.clinician_id, appt.attending_ids):
        raise NotFound("We couldn't find that visit.")  # no hint that another patient's visit exists
    if actor.role != PATIENT:
        raise Forbidden("This page is the patient's waiting room; clinicians see their line at /clinic.")
    return appt


def _require_open(appt: Appointment, now: datetime) -> None:
    if appt.status in CLOSED:
        raise Forbidden(CLOSED[appt.status])
    if appt.mode != "virtual":
        raise Forbidden("This is an in-person visit, so there is no video waiting room.")
    if appt.status == st.IN_VISIT:
        return  # a visit in progress may run past its scheduled end
    state = wr.window_state(appt.start_at, appt.end_at, now)
    if state == "too_early":
        raise NotOpenYet(f"The waiting room opens at {when(appt, opens_at(appt))}. Please come back then.")
    if state == "closed":
        raise Forbidden("The time of this visit has passed. Please contact the clinic.")


def patient_room(
    session: Session, appointment_id: int, *, actor: Actor | None, claims: LinkClaims | None, now: datetime
) -> PatientRoom:
    """The patient's room, for its own patient or the holder of its current join link, while it is open.

    NotFound, Unauthorized or Forbidden (with a message for the page) otherwise.
    """
    appt = _for_link(session, appointment_id, claims) if claims else _for_actor(session, appointment_id, actor)
    _require_open(appt, now)
    clinician = session.get(Clinician, appt.clinician_id)
    team = tuple(session.get(Clinician, cid).name for cid in appt.attending_ids)
    return PatientRoom(appt, clinician, session.get(VisitType, appt.visit_type_id), when(appt), team)


def patient_visit(
    session: Session, appointment_id: int, *, actor: Actor | None, claims: LinkClaims | None
) -> Appointment:
    """The visit, for its own patient or the holder of its current join link, at any time (the urgent page a
    "yes" at check-in leads to stays readable after the visit's time)."""
    return _for_link(session, appointment_id, claims) if claims else _for_actor(session, appointment_id, actor)


def clinic_for(session: Session, actor: Actor | None) -> Clinician:
    """The signed-in clinician's own clinician record (the dashboard is theirs only)."""
    if actor is None:
        raise Unauthorized("Please sign in as a clinician to open your clinic.")
    if actor.role != CLINICIAN:
        raise Forbidden("The clinic dashboard is for clinicians.")
    clinician = session.get(Clinician, actor.clinician_id) if actor.clinician_id else None
    if clinician is None:
        raise Forbidden("Your sign-in is not linked to a clinician record (the emails must match).")
    return clinician
