"""What the board's pages show: each board's sessions ahead, one session's agenda (cases in order, readiness,
where a case could move), a member's sessions, and the desk's "to book" queue of reviewed cases.

Times read in the viewer's zone first and the board's site second, named by city ("12:30 GMT · 07:30 EST in
Cleveland"); a clinician's own zone is the zone of the site where they hold most of their weekly hours.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from televisit.domain.board import REVIEWED, BoardSession
from televisit.domain.formatting import format_date, format_time, format_when
from televisit.domain.roles import ADMIN, CLINICIAN, Actor
from televisit.domain.timezones import get_zone, to_local
from televisit.models import Board, BoardCase, Clinician, Itinerary, Location, Pathway
from televisit.services.board import boards, cases, video
from televisit.services.board.boards import SessionView


def home_zone(session: Session, actor: Actor) -> str | None:
    """A clinician's own zone: their main site's (most weekly rules); None for anyone else or no hours."""
    if actor.role != CLINICIAN or actor.clinician_id is None:
        return None
    c = session.get(Clinician, actor.clinician_id)
    counts = Counter(r.location_id for r in c.rules) if c else Counter()
    if not counts:
        return None
    return session.get(Location, counts.most_common(1)[0][0]).timezone


@dataclass(frozen=True)
class Clocks:
    """How a session's time reads: in the viewer's zone, and at the board's site."""

    viewer: ZoneInfo
    locale: str

    def when(self, sitting: BoardSession, site: Location) -> str:
        """'Tue 16 Mar 2027, 11:30 GMT · 07:30 EDT in Cleveland' (one clock when both read the same)."""
        mine = format_when(sitting.start, self.viewer, self.locale)
        zone = get_zone(site.timezone)
        here, there = to_local(sitting.start, self.viewer), to_local(sitting.start, zone)
        if here.utcoffset() == there.utcoffset() and here.tzname() == there.tzname():
            return f"{mine} ({site.city})"
        return f"{mine} · {format_time(sitting.start, zone, self.locale)} in {site.city}"

    def date_label(self, sitting: BoardSession, site: Location) -> str:
        """A session among the move choices: when it is for the viewer (and at its site)."""
        return self.when(sitting, site)


@dataclass(frozen=True)
class SessionLine:
    """A session in a list: when, how full, and its date (the agenda's address)."""

    board: Board
    day: date
    when: str
    taken: int
    capacity: int
    member: bool = False


def _line(view: SessionView, site: Location, clocks: Clocks, member: bool = False) -> SessionLine:
    return SessionLine(view.board, view.session.day, clocks.when(view.session, site), view.taken,
                       view.board.capacity, member)  # fmt: skip


def overview(session: Session, clocks: Clocks, *, now: datetime, weeks: int = 6) -> list[tuple[Board, list]]:
    """Every board with its sessions still to come over `weeks` weeks."""
    out = []
    for board in boards.list_boards(session):
        site = session.get(Location, board.location_id)
        found = boards.upcoming_sessions(session, board, now, weeks=weeks)
        out.append((board, [_line(v, site, clocks) for v in found]))
    return out


def member_sessions(session: Session, clinician_id: int, clocks: Clocks, *, now: datetime) -> list[SessionLine]:
    """A member's sessions from today for four weeks (one under way included), in time order."""
    out = []
    for view in boards.member_sessions(session, clinician_id, now):
        out.append(_line(view, session.get(Location, view.board.location_id), clocks, member=True))
    return out


@dataclass(frozen=True)
class CaseRow:
    """One case on the agenda."""

    id: int
    patient_id: int
    patient: str
    presenter: str
    question: str
    status: str
    imaging_ready: bool
    recommendation: str | None
    pathway: str | None


@dataclass(frozen=True)
class Agenda:
    """One session of a board: when, its cases in order, and what the viewer may do."""

    board: Board
    site: Location
    sitting: BoardSession
    when: str
    started: bool
    rows: list[CaseRow]
    cases: list[BoardCase]
    moves: list[tuple[str, str]]  # (date, label) of sessions still to come with room, other than this one
    may_record: bool  # a member of this board, or an admin
    pathways: list[Pathway]
    presenters: list[Clinician]
    may_join: bool = False  # the video room: members, the session's presenters, admins
    room_open: bool = False
    max_participants: int = video.MAX_PARTICIPANTS


def agenda(session: Session, board_id: int, day: date, *, actor: Actor, clocks: Clocks, now: datetime) -> Agenda:
    """The session of `board_id` on local `day` (Invalid when the board does not meet then), for a staff viewer."""
    board = boards.get_board(session, board_id)
    sitting = boards.session_for(session, board, day)
    found = cases.cases_of(session, board.id, day, actor)
    site = session.get(Location, board.location_id)
    names = {c.id: c.name for c in session.scalars(select(Clinician).order_by(Clinician.name))}
    paths = {p.id: p for p in session.scalars(select(Pathway).order_by(Pathway.name))}
    rows = [
        CaseRow(c.id, c.patient_id, c.patient.name, names.get(c.presenter_id, "?"), c.question, c.status,
                c.imaging_ready, c.recommendation, paths[c.pathway_id].name if c.pathway_id else None)
        for c in found
    ]  # fmt: skip
    ahead = [v for v in boards.upcoming_sessions(session, board, now) if v.room and v.session.day != day]
    return Agenda(
        board=board,
        site=site,
        sitting=sitting,
        when=clocks.when(sitting, site),
        started=sitting.start <= now,
        rows=rows,
        cases=found,
        moves=[(v.session.day.isoformat(), clocks.date_label(v.session, site)) for v in ahead],
        may_record=actor.role == ADMIN or boards.is_member(board, actor.clinician_id),
        pathways=list(paths.values()),
        presenters=list(session.scalars(select(Clinician).order_by(Clinician.name))),
        may_join=video.may_join(session, board, day, actor),
        room_open=video.is_open(sitting, now),
    )


@dataclass(frozen=True)
class ToBook:
    """A reviewed case whose plan names a pathway the patient has not been booked for since the review."""

    case_id: int
    patient_id: int
    patient: str
    pathway_id: int
    pathway: str
    board: str
    reviewed: str

    @property
    def id(self) -> int:
        """The case's id (the audit trail records each case shown)."""
        return self.case_id


def to_book(session: Session, clocks: Clocks) -> list[ToBook]:
    """The desk's queue, oldest review first."""
    booked = (
        select(Itinerary.id)
        .where(
            Itinerary.patient_id == BoardCase.patient_id,
            Itinerary.pathway_id == BoardCase.pathway_id,
            Itinerary.status == "booked",
            Itinerary.created_at >= BoardCase.reviewed_at,
        )
        .exists()
    )
    stmt = (
        select(BoardCase, Pathway, Board)
        .join(Pathway, Pathway.id == BoardCase.pathway_id)
        .join(Board, Board.id == BoardCase.board_id)
        .where(BoardCase.status == REVIEWED, ~booked)
        .order_by(BoardCase.reviewed_at, BoardCase.id)
    )
    out = []
    for case, pathway, board in session.execute(stmt).all():
        reviewed = f"{format_date(case.reviewed_at, clocks.viewer, clocks.locale)}"
        out.append(ToBook(case.id, case.patient_id, case.patient.name, pathway.id, pathway.name, board.name, reviewed))
    return out
