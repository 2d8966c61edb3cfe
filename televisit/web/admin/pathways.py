"""Admin pages for pathways (clinic days): the list, and a new pathway with its ordered steps, the gaps
allowed between them, and whether patients may book it themselves."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit.domain.availability import MODES
from televisit.domain.errors import DomainError, Invalid
from televisit.domain.roles import ADMIN
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.pathways import catalog as pathways
from televisit.web.admin.blueprint import bp
from televisit.web.api.parse import Fields, bounded, ident, one_of, text
from televisit.web.staff import desk_roles, form_body, problem

STEP_ROWS = 5
MODE_CHOICES = [("virtual", "Video"), ("in_person", "In person")]


@bp.get("/pathways")
@desk_roles(ADMIN)
def pathways_list():
    return render_template(
        "admin/pathways.html",
        pathways=pathways.list_pathways(db.session),
        visit_types={vt.id: vt.name for vt in catalog.list_visit_types(db.session)},
    )


def _form_page(form=None, trouble=None):
    values = form or {"min_gap_minutes": "15", "max_gap_minutes": "120"}
    rows = [
        {"visit_type_id": values.get(f"steps-{i}-visit_type_id", ""), "mode": values.get(f"steps-{i}-mode", "")}
        for i in range(STEP_ROWS)
    ]
    html = render_template(
        "admin/pathway_form.html",
        form=values,
        rows=rows,
        visit_types=catalog.list_visit_types(db.session),
        modes=MODE_CHOICES,
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


@bp.get("/pathways/new")
@desk_roles(ADMIN)
def new_pathway():
    return _form_page()


def _steps(form) -> list[tuple[int, pathways.StepInput]]:
    """The filled step rows in order, each with its row number (for messages); Invalid names bad cells."""
    out, errors = [], {}
    for i in range(STEP_ROWS):
        row = {"visit_type_id": form.get(f"steps-{i}-visit_type_id"), "mode": form.get(f"steps-{i}-mode")}
        f = Fields(row, query=True)
        visit_type_id, mode = f.get("visit_type_id", ident), f.get("mode", one_of(*MODES))
        errors.update({f"steps[{i}].{k}": v for k, v in f.errors.items()})
        if visit_type_id is not None:
            out.append((i, pathways.StepInput(visit_type_id, mode)))
    if not out and not errors:
        errors["steps[0].visit_type_id"] = "choose the visit type of the first step"
    if errors:
        raise Invalid(errors)
    return out


def _renumbered(exc: Invalid, rows: list[int]) -> Invalid:
    """The service names steps by their place among the filled rows; the form by row."""
    fields = {}
    for key, message in exc.fields.items():
        if key.startswith("steps["):
            place, rest = key[6:].split("]", 1)
            key = f"steps[{rows[int(place)]}]{rest}" if place.isdigit() and int(place) < len(rows) else key
        fields[key] = message
    return Invalid(fields, exc.message)


def _pathway_input(form) -> tuple[dict, list[tuple[int, pathways.StepInput]]]:
    """The posted pathway and its filled step rows; one Invalid names every bad field."""
    f = Fields(form_body(form, ints=("min_gap_minutes", "max_gap_minutes"), bools=("self_bookable",)))
    data = {
        "name": f.get("name", text(120), required=True),
        "min_gap_minutes": f.get("min_gap_minutes", bounded(0, 480), default=0),
        "max_gap_minutes": f.get("max_gap_minutes", bounded(0, 720), default=120),
        "self_bookable": f.get("self_bookable", bool, default=False),
        "description": f.get("description", text(500)),
    }
    steps = []
    try:
        steps = _steps(form)
    except Invalid as exc:
        f.errors.update(exc.fields)
    f.done()
    return data, steps


@bp.post("/pathways")
@desk_roles(ADMIN)
def create_pathway():
    try:
        data, steps = _pathway_input(request.form)
        try:
            pathway = pathways.create_pathway(db.session, steps=[s for _, s in steps], **data)
        except Invalid as exc:
            raise _renumbered(exc, [i for i, _ in steps]) from exc
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _form_page(request.form.to_dict(), problem(exc))
    flash(f"Saved the pathway {pathway.name}. Schedulers can now book it as one clinic day.")
    return redirect(url_for("admin.pathways_list"))
