"""Pathways: the ordered steps of a clinic day, with the gaps allowed between them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from televisit.domain.errors import Conflict, Invalid, NotFound
from televisit.models import Pathway, VisitType


@dataclass(frozen=True)
class StepInput:
    """One step: what is booked, and in which mode (None: whichever the visit type offers)."""

    visit_type_id: int
    mode: str | None = None


def create_pathway(
    session: Session,
    *,
    name: str,
    steps: list[StepInput],
    min_gap_minutes: int,
    max_gap_minutes: int,
    self_bookable: bool = False,
    description: str | None = None,
) -> Pathway:
    """Add a pathway (422 for unknown visit types, a mode a step's visit type lacks, or gaps out of order)."""
    fields = {}
    for i, step in enumerate(steps):
        vt = session.get(VisitType, step.visit_type_id)
        if vt is None:
            fields[f"steps[{i}].visit_type_id"] = "no such visit type"
        elif step.mode is not None and step.mode not in vt.modes:
            fields[f"steps[{i}].mode"] = f"this visit type is offered only as {', '.join(sorted(vt.modes))}"
    if min_gap_minutes > max_gap_minutes:
        fields["max_gap_minutes"] = "must be at least min_gap_minutes"
    if fields:
        raise Invalid(fields)
    pathway = Pathway(
        name=name,
        steps=[{"visit_type_id": s.visit_type_id, "mode": s.mode} for s in steps],
        min_gap_minutes=min_gap_minutes,
        max_gap_minutes=max_gap_minutes,
        self_bookable=self_bookable,
        description=description,
    )
    session.add(pathway)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("A pathway with this name exists.", fields={"name": "taken"}) from exc
    return pathway


def list_pathways(session: Session, *, self_bookable_only: bool = False) -> list[Pathway]:
    """Every pathway (or only those patients may book themselves), by name."""
    stmt = select(Pathway).order_by(Pathway.name)
    if self_bookable_only:
        stmt = stmt.where(Pathway.self_bookable)
    return list(session.scalars(stmt))


def get_pathway(session: Session, pathway_id: int) -> Pathway:
    """The pathway or NotFound."""
    pathway = session.get(Pathway, pathway_id)
    if pathway is None:
        raise NotFound("No such pathway.")
    return pathway
