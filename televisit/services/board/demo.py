"""The demo program's spine tumor board: Tuesdays 07:30 at the Cleveland campus for 90 minutes, twelve cases a
session, members at all three sites (Cleveland, Weston, London), and a few demo patients' cases listed for the
next session with room. Idempotent, like the rest of `seed`: the board is updated in place, and a patient whose
case is already listed is not listed again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.board import LISTED
from televisit.domain.roles import SCHEDULER, Actor
from televisit.domain.timezones import parse_hhmm
from televisit.models import Board, BoardCase, Clinician, Location, Patient
from televisit.services.board import cases

NAME, SITE, WEEKDAY, START, MINUTES, CAPACITY = "Spine tumor board", "Cleveland Main Campus", 1, "07:30", 90, 12
# neurosurgery, orthopaedic spine surgery, radiation oncology (Weston), medical oncology, neuroradiology, and
# London's orthopaedic spine surgeon: seven people, within the video room's eight
MEMBERS = ["amara.okafor", "daniel.reyes", "priya.raman", "omar.haddad", "lucas.meyer", "grace.kim", "sarah.lewis"]
# patient handle, presenter handle, question, imaging ready
CASES = [
    ("morgan.avery", "amara.okafor", "New T9 lesion, early cord compression: separation surgery before SBRT?", True),
    ("harriet.cole", "sarah.lewis", "Painful L2 metastasis after 3 fractions: stabilise, or re-irradiate?", False),
    ("jordan.blake", "daniel.reyes", "Growing C5 chordoma margin on MRI: re-resection or proton referral?", True),
]
DESK = Actor(None, SCHEDULER)  # type: ignore[arg-type]  # the seed lists as the desk, no user behind it


def _clinician(session: Session, handle: str) -> Clinician:
    return session.scalars(select(Clinician).where(Clinician.email == f"{handle}@demo.televisit.local")).one()


def board(session: Session, *, now: datetime) -> Board:
    """Create or update the demo board (before any demo booking: its sessions are then busy time)."""
    site = session.scalars(select(Location).where(Location.name == SITE)).one()
    found = session.scalars(select(Board).where(Board.name == NAME)).first()
    if found is None:
        found = Board(name=NAME, created_at=now)
        session.add(found)
    found.location_id, found.weekday, found.start_minute = site.id, WEEKDAY, parse_hhmm(START)
    found.duration_minutes, found.capacity = MINUTES, CAPACITY
    found.members = [_clinician(session, handle) for handle in MEMBERS]
    session.commit()
    return found


def demo_cases(session: Session, *, now: datetime) -> dict[str, int]:
    """List the demo patients' cases for the next session with room, unless already listed."""
    found = session.scalars(select(Board).where(Board.name == NAME)).first()
    if found is None:
        return {}
    for handle, presenter, question, ready in CASES:
        patient = session.scalars(
            select(Patient).where(Patient.email == f"{handle}@demo.televisit.local").order_by(Patient.id)
        ).first()
        if patient is None or _listed(session, found.id, patient.id):
            continue
        data = cases.CaseInput(patient.id, question, _clinician(session, presenter).id)
        case, _ = cases.list_case(session, found.id, data, actor=DESK, now=now)
        if ready:
            cases.set_imaging_ready(session, case.id, True, actor=DESK, now=now)
    listed = select(BoardCase.id).where(BoardCase.board_id == found.id, BoardCase.status == LISTED)
    return {"board cases": len(session.scalars(listed).all())}


def _listed(session: Session, board_id: int, patient_id: int) -> bool:
    stmt = select(BoardCase.id).where(
        BoardCase.board_id == board_id, BoardCase.patient_id == patient_id, BoardCase.status == LISTED
    )
    return session.scalars(stmt).first() is not None
