"""The board's sessions ahead, one session's agenda, and what staff do to its cases: list one (question and
presenter), tick "imaging ready", move it, remove it, record the outcome (members and admins)."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import DomainError, Forbidden, Invalid, NotFound
from televisit.domain.identity import read_query
from televisit.domain.roles import CLINICIAN, STAFF
from televisit.extensions import db
from televisit.services.board import agenda as pages
from televisit.services.board import boards, cases, outcomes
from televisit.services.patients import identity
from televisit.web import audit as audit_trail
from televisit.web.api.parse import Fields, day, ident, text
from televisit.web.auth import current_actor
from televisit.web.board.blueprint import bp, clocks_for
from televisit.web.staff import desk_region, desk_roles, form_body, problem, viewer_locale

QUESTION, RECOMMENDATION = 2000, 4000
FALLBACK_ZONE = "America/New_York"


@bp.get("")
@desk_roles(*STAFF)
def index():
    actor = current_actor()
    found = boards.list_boards(db.session)
    clocks = clocks_for(actor, boards.zone_name(db.session, found[0]) if found else FALLBACK_ZONE)
    mine = []
    if actor.role == CLINICIAN and actor.clinician_id:
        mine = pages.member_sessions(db.session, actor.clinician_id, clocks, now=clock.now())
    overview = pages.overview(db.session, clocks, now=clock.now())
    return render_template("board/index.html", overview=overview, mine=mine, zone=clocks.viewer.key)


def _day(text_value: str) -> date:
    try:
        return day(text_value)
    except ValueError as exc:
        raise NotFound("No such session.") from exc


def _agenda_page(board_id: int, session_date: str, trouble=None, form=None):
    actor = current_actor()
    board = boards.get_board(db.session, board_id)
    clocks = clocks_for(actor, boards.zone_name(db.session, board))
    try:
        view = pages.agenda(db.session, board_id, _day(session_date), actor=actor, clocks=clocks, now=clock.now())
    except DomainError as exc:
        if exc.status == 422:
            raise NotFound("The board does not meet that day.") from exc
        raise
    audit_trail.viewed_each(view.cases, "board_case.read", "board_case")
    q = (request.args.get("q") or "").strip()
    choices = [(p.id, f"{p.name} (#{p.id})") for p in _found(q, actor)]
    html = render_template(
        "board/agenda.html",
        a=view,
        q=q,
        patient_choices=choices,
        zone=clocks.viewer.key,
        problem=trouble,
        form=form or {},
    )
    return html, trouble.status if trouble else 200


def _found(q: str, actor) -> list:
    """The patients the agenda's search finds (name, MRN, birth date or phone; none for a too-short query)."""
    if not q:
        return []
    try:
        query = read_query(q, locale=viewer_locale(), region=desk_region())
    except Invalid:
        return []
    return identity.search(db.session, query, actor=actor)[0]


@bp.get("/<int:board_id>/<session_date>")
@desk_roles(*STAFF)
def agenda(board_id: int, session_date: str):
    return _agenda_page(board_id, session_date)


@bp.post("/<int:board_id>/<session_date>/cases")
@desk_roles(*cases.MANAGERS)
def add_case(board_id: int, session_date: str):
    f = Fields(form_body(request.form, ints=("patient_id", "presenter_id")))
    try:
        data = cases.CaseInput(
            patient_id=f.get("patient_id", ident, required=True),
            question=f.get("question", text(QUESTION, lines=True), required=True),
            presenter_id=f.get("presenter_id", ident, required=True),
            day=_day(session_date),
        )
        f.done()
        cases.list_case(db.session, board_id, data, actor=current_actor(), now=clock.now(),
                        before_commit=audit_trail.staged(302))  # fmt: skip
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _agenda_page(board_id, session_date, _worded(exc), request.form.to_dict())
    flash("The case is on the agenda.")
    return redirect(url_for("board.agenda", board_id=board_id, session_date=session_date))


FIELD_WORDS = {
    "patient_id": "Choose the patient (search by name, then pick them).",
    "presenter_id": "Choose who presents the case.",
    "question": "Write the question for the board (at most 2,000 characters).",
    "date": "Choose a session of the board still to come.",
    "recommendation": "Write the board's recommendation.",
    "pathway_id": "Choose the pathway to book from the list.",
}


def _worded(exc: DomainError):
    """The refusal in words: never a field key (each field's sentence sits by its field too)."""
    found = problem(exc)
    if found.fields:
        found.fields = {k: FIELD_WORDS.get(k, v) for k, v in found.fields.items()}
        found.message = " ".join(FIELD_WORDS.get(k, v) for k, v in found.fields.items())
    return found


def _back(case) -> str:
    return url_for("board.agenda", board_id=case.board_id, session_date=case.day.isoformat())


def _act(board_case_id: int, action, done: str):
    """Do `action(case)`, then back to the case's agenda with `done` or the refusal in words."""
    actor = current_actor()
    case = cases.get_case(db.session, board_case_id, actor)
    back = _back(case)
    try:
        changed = action(actor)
    except (Forbidden, NotFound):
        raise  # not theirs to do: the friendly 403/404 page
    except DomainError as exc:
        db.session.rollback()
        flash(_worded(exc).message)
        return redirect(back)
    flash(done)
    return redirect(_back(changed) if changed is not None else back)


@bp.post("/cases/<int:board_case_id>/readiness")
@desk_roles(*cases.MANAGERS)
def readiness(board_case_id: int):
    ready = bool({"1", "on", "true"} & set(request.form.getlist("imaging_ready")))  # a hidden "0", then the box

    def tick(actor):
        return cases.set_imaging_ready(db.session, board_case_id, ready, actor=actor, now=clock.now())

    return _act(board_case_id, tick, "Imaging marked ready." if ready else "Imaging marked not ready.")


@bp.post("/cases/<int:board_case_id>/move")
@desk_roles(*cases.MANAGERS)
def move(board_case_id: int):
    def to_session(actor):
        f = Fields({"date": request.form.get("date")}, query=True)
        target = f.get("date", day, required=True)
        f.done()
        return cases.move(db.session, board_case_id, target, actor=actor, now=clock.now())[0]

    return _act(board_case_id, to_session, "The case moved to the session you chose.")


@bp.post("/cases/<int:board_case_id>/remove")
@desk_roles(*cases.MANAGERS)
def remove(board_case_id: int):
    def off(actor):
        return cases.remove(db.session, board_case_id, actor=actor, now=clock.now())

    return _act(board_case_id, off, "The case was taken off the board; its place is free.")


@bp.post("/cases/<int:board_case_id>/outcome")
@desk_roles(*STAFF)
def outcome(board_case_id: int):
    def record(actor):
        f = Fields(form_body(request.form, ints=("pathway_id",)))
        recommendation = f.get("recommendation", text(RECOMMENDATION, lines=True), required=True)
        pathway_id = f.get("pathway_id", ident)
        f.done()
        return outcomes.record_outcome(db.session, board_case_id, recommendation, pathway_id, actor=actor,
                                       now=clock.now(), before_commit=audit_trail.staged(302))  # fmt: skip

    return _act(board_case_id, record, "The board's outcome is recorded.")
