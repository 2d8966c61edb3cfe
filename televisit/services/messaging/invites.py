"""Calendar files for appointments."""

from __future__ import annotations

from sqlalchemy.orm import Session

from televisit import clock
from televisit.adapters.calendar_ics import Invite, build, build_many
from televisit.models import Clinician, VisitType


def invite_for(session: Session, appt, *, public_url: str, mail_from: str) -> Invite:
    """The calendar view of an appointment (visit type name only; never the reason)."""
    vt = session.get(VisitType, appt.visit_type_id)
    clinician = session.get(Clinician, appt.clinician_id)
    where = "Video visit" if appt.mode == "virtual" else f"{appt.location.name}, {appt.location.city}"
    url = f"{public_url}/appointments/{appt.id}"
    return Invite(
        uid=appt.uid,
        sequence=appt.sequence,
        start=appt.start_at,
        end=appt.end_at,
        zone_name=appt.location.timezone,
        summary=f"{vt.name} with {clinician.name}",
        location=where,
        description=f"Televisit appointment. Manage it at {url}",
        url=url,
        status="CANCELLED" if appt.status == "cancelled" else "CONFIRMED",
        organizer_email=_address(mail_from),
        organizer_name="Spine Tumor Program",
        attendee_email=appt.patient.email,
        attendee_name=appt.patient.name,
        stamp=clock.now(),
    )


def _address(mail_from: str) -> str:
    return mail_from.rsplit("<", 1)[-1].rstrip(">").strip()


def appointment_ics(session: Session, appt, *, public_url: str, mail_from: str, method: str | None = None) -> bytes:
    """The .ics for one appointment."""
    return build(invite_for(session, appt, public_url=public_url, mail_from=mail_from), method=method)


def itinerary_ics(session: Session, appts, *, public_url: str, mail_from: str, method: str | None = None) -> bytes:
    """The .ics for a clinic day or a course: one event per visit."""
    invites = [invite_for(session, a, public_url=public_url, mail_from=mail_from) for a in appts]
    return build_many(invites, method=method)
