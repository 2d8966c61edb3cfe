"""Admin pages for rooms and machines (MRI scanners, linacs, procedure rooms): the list per site, a new
resource, its weekly hours, and its time out of service (over booked visits: keep them or cancel them)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.calendar import WEEKDAYS
from televisit.domain.errors import DomainError, Invalid, TimeOffConflicts
from televisit.domain.roles import ADMIN
from televisit.domain.timezones import format_hhmm
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.desk import sites
from televisit.services.pathways import resources
from televisit.web.admin.blueprint import bp
from televisit.web.api.catalog import kind
from televisit.web.api.parse import Fields, day, hhmm, ident, one_of, text
from televisit.web.api.resources import parse_hours
from televisit.web.staff import Problem, desk_roles, form_body, problem, viewer_locale

BLANK_ROWS = 3
OFF_FIELDS = ("kind", "date", "start_date", "start_time", "end_date", "end_time", "reason")


def _list_page(form=None, trouble=None):
    found = resources.list_resources(db.session)
    locations = catalog.list_locations(db.session)
    html = render_template(
        "admin/resources.html",
        by_site=[(loc, [r for r in found if r.location_id == loc.id]) for loc in locations],
        locations=locations,
        kinds=sorted({r.kind for r in found}),
        form=form or {},
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


@bp.get("/resources")
@desk_roles(ADMIN)
def resources_list():
    return _list_page()


@bp.post("/resources")
@desk_roles(ADMIN)
def create_resource():
    f = Fields(form_body(request.form, ints=("location_id",)))
    try:
        data = {
            "name": f.get("name", text(120), required=True),
            "kind": f.get("kind", kind, required=True),
            "location_id": f.get("location_id", ident, required=True),
        }
        f.done()
        res = resources.create_resource(db.session, **data)
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _list_page(request.form, problem(exc))
    flash(f"Added {res.name}. Now set its weekly hours: it is offered only inside them.")
    return redirect(url_for("admin.resource", resource_id=res.id))


def _rows_from_rules(res) -> list[dict]:
    return [
        {"weekday": r.weekday, "start": format_hhmm(r.start_minute), "end": format_hhmm(r.end_minute)}
        for r in res.rules
    ]


def _rows_from_form(form) -> list[dict]:
    """The hour rows as posted (blank and removed rows included), in the form's order."""
    raw = form.get("rows", "")
    count = min(int(raw) if raw.isdigit() and len(raw) < 4 else 0, 100)
    return [
        {
            "weekday": form.get(f"rules-{i}-weekday", ""),
            "start": form.get(f"rules-{i}-start", "").strip(),
            "end": form.get(f"rules-{i}-end", "").strip(),
            "remove": form.get(f"rules-{i}-remove") == "1",
        }
        for i in range(count)
    ]


def _parse_rows(rows: list[dict]) -> list[resources.HoursInput]:
    """Every kept row through the API's own validation; one Invalid names every bad cell."""
    hours, errors = [], {}
    for i, row in enumerate(rows):
        if row["remove"] or not (row["start"] or row["end"]):
            continue
        weekday = int(row["weekday"]) if row["weekday"].isdigit() and len(row["weekday"]) < 3 else row["weekday"]
        try:
            hours.append(parse_hours(i, {"weekday": weekday, "start": row["start"], "end": row["end"]}))
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid(errors)
    return hours


def _with_errors(rows: list[dict], trouble) -> list[dict]:
    fields = trouble.fields if trouble else {}
    for i, row in enumerate(rows):
        prefix = f"rules[{i}]."
        row["errors"] = {k.removeprefix(prefix): v for k, v in fields.items() if k.startswith(prefix)}
    return rows


def _resource_page(resource_id: int, *, rows=None, trouble=None, off_form=None, affected=None):
    res = resources.get_resource(db.session, resource_id)
    now, locale = clock.now(), viewer_locale()
    rows = _with_errors(rows, trouble) if rows is not None else _rows_from_rules(res)
    html = render_template(
        "admin/resource.html",
        res=res,
        site=sites.site_of(db.session, res.id),
        rows=rows + [{} for _ in range(BLANK_ROWS)],
        weekdays=WEEKDAYS,
        offs=sites.time_off_ahead(db.session, res.id, now=now, locale=locale),
        off_form=off_form or {"kind": "day"},
        affected=affected,
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


@bp.get("/resources/<int:resource_id>")
@desk_roles(ADMIN)
def resource(resource_id: int):
    return _resource_page(resource_id)


@bp.post("/resources/<int:resource_id>/hours")
@desk_roles(ADMIN)
def save_resource_hours(resource_id: int):
    rows = _rows_from_form(request.form)
    try:
        resources.set_hours(db.session, resource_id, _parse_rows(rows))
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _resource_page(resource_id, rows=rows, trouble=problem(exc))
    flash("Weekly hours saved. Visits that need it are offered only inside them.")
    return redirect(url_for("admin.resource", resource_id=resource_id))


def _out_of_service(resource_id: int, form) -> list[int]:
    f = Fields({k: form.get(k) for k in (*OFF_FIELDS, "affected")}, query=True)
    reason, affected = f.get("reason", text(200)), f.get("affected", one_of("keep", "cancel"))
    if form.get("kind") == "span":
        start = (f.get("start_date", day, required=True), f.get("start_time", hhmm, required=True))
        end = (f.get("end_date", day, required=True), f.get("end_time", hhmm, required=True))
        f.done()
        lo, hi = sites.local_span(db.session, resource_id, start, end)
    else:
        date_ = f.get("date", day, required=True)
        f.done()
        lo, hi = resources.day_span(db.session, resource_id, date_)
    now = clock.now()
    _, ids = resources.take_out_of_service(db.session, resource_id, lo, hi, now=now, reason=reason, affected=affected)
    return ids


@bp.post("/resources/<int:resource_id>/time-off")
@desk_roles(ADMIN)
def resource_out_of_service(resource_id: int):
    form = {k: request.form.get(k, "") for k in OFF_FIELDS}
    try:
        ids = _out_of_service(resource_id, request.form)
    except TimeOffConflicts as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        affected = sites.entries(db.session, exc.extra.get("appointments", []), viewer_locale())
        count = len(affected)
        message = (
            f"{count} booked visit{'s' if count != 1 else ''} use{'s' if count == 1 else ''} this resource then. "
            "Nothing is saved yet: keep them, or cancel them and tell the patients."
        )
        return _resource_page(resource_id, trouble=Problem(message, {}, 409), off_form=form, affected=affected)
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _resource_page(resource_id, trouble=problem(exc), off_form=form)
    choice = request.form.get("affected")
    done = {"cancel": f" {len(ids)} visit(s) cancelled; each patient is told.", "keep": " The booked visits stay."}
    flash("Out of service saved. No visit is offered then." + done.get(choice or "", ""))
    return redirect(url_for("admin.resource", resource_id=resource_id))
