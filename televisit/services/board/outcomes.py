"""The board's outcome for a case: the recommendation, and the pathway to book when the plan is a clinic day.

Only a member of the case's board (a clinician who sits on it) or an admin records it, once: a reviewed case
is the record of that discussion. When the outcome names a pathway, the patient is told in the same
transaction, through the outbox, that their care team has a plan and how to book it (messaging/plans.py
renders it, without clinical words). The key is one per case and channel, so the message can be planned
only once and sent at most once. The recommendation itself never leaves the staff's pages and API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from televisit.domain.board import LISTED, PLAN_RULE, REMOVED, plan_key
from televisit.domain.errors import Conflict, Forbidden, Invalid
from televisit.domain.roles import ADMIN, CLINICIAN, Actor
from televisit.models import BoardCase, Pathway
from televisit.services import outbox
from televisit.services.board.boards import get_board, is_member
from televisit.services.board.cases import get_case


def _may_record(session: Session, case: BoardCase, actor: Actor) -> None:
    if actor.role == ADMIN:
        return
    if actor.role == CLINICIAN and is_member(get_board(session, case.board_id), actor.clinician_id):
        return
    raise Forbidden("Only a member of this board (or an admin) records its outcome.")


def record_outcome(
    session: Session,
    case_id: int,
    recommendation: str,
    pathway_id: int | None,
    *,
    actor: Actor,
    now: datetime,
    before_commit: Callable[[BoardCase], None] | None = None,
) -> BoardCase:
    """Record the board's recommendation (and the pathway to book); the case becomes reviewed."""
    case = get_case(session, case_id, actor)
    _may_record(session, case, actor)
    if case.status == REMOVED:
        raise Conflict("This case was removed from the board.")
    if case.status != LISTED:
        raise Conflict("The board's outcome for this case is recorded already.")
    if pathway_id is not None and session.get(Pathway, pathway_id) is None:
        raise Invalid({"pathway_id": "no such pathway"})
    case.status, case.recommendation, case.pathway_id = "reviewed", recommendation, pathway_id
    case.reviewed_at, case.reviewed_by_user_id, case.updated_at = now, actor.user_id, now
    if pathway_id is not None:
        _plan_message(session, case, now)
    if before_commit:
        before_commit(case)
    session.commit()
    return case


def _plan_message(session: Session, case: BoardCase, now: datetime) -> None:
    """ "Your care team has a plan": now, on every channel the patient can be reached on."""
    payload = json.dumps({"board_case_id": case.id})
    for channel in sorted(outbox.channels_for(session, case.patient)):
        outbox.enqueue(
            session,
            key=plan_key(case.id, channel),
            rule=PLAN_RULE,
            channel=channel,
            due=now,
            now=now,
            patient_id=case.patient_id,
            payload=payload,
        )
