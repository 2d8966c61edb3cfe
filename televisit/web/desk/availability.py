"""A clinician's weekly availability per site and mode, and time off, next to the effect on their coming week."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.availability import MODES
from televisit.domain.calendar import WEEKDAYS
from televisit.domain.errors import DomainError, Invalid, TimeOffConflicts
from televisit.domain.formatting import format_when
from televisit.domain.timezones import format_hhmm, get_zone
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.desk import calendar as desk_calendar
from televisit.services.desk import slots as desk_slots
from televisit.web import audit as audit_trail
from televisit.web.api.catalog import parse_rule
from televisit.web.api.parse import Fields, day, hhmm, ident, text
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.staff import desk_roles, problem, viewer_locale

BLANK_ROWS = 3


@bp.get("/clinicians")
@desk_roles(*DESK)
def clinicians():
    return render_template(
        "scheduler/clinicians.html",
        clinicians=catalog.list_clinicians(db.session),
        locations={loc.id: loc for loc in catalog.list_locations(db.session)},
    )


def _rows_from_rules(c) -> list[dict]:
    return [
        {"location_id": r.location_id, "weekday": r.weekday, "start": format_hhmm(r.start_minute)}
        | {"end": format_hhmm(r.end_minute), "modes": list(r.modes)}
        for r in c.rules
    ]


def _rows_from_form(form) -> list[dict]:
    """The rule rows as posted (their order is the form's), blank and removed rows included."""
    count = min(int(form.get("rows", "0")) if form.get("rows", "").isdigit() else 0, 200)
    return [
        {
            "location_id": form.get(f"rules-{i}-location_id", ""),
            "weekday": form.get(f"rules-{i}-weekday", ""),
            "start": form.get(f"rules-{i}-start", "").strip(),
            "end": form.get(f"rules-{i}-end", "").strip(),
            "modes": form.getlist(f"rules-{i}-modes"),
            "remove": form.get(f"rules-{i}-remove") == "1",
        }
        for i in range(count)
    ]


def _parse_rows(rows: list[dict]) -> list[catalog.RuleInput]:
    """Every kept row through the API's own rule validation; one Invalid names every bad cell."""
    rules, errors = [], {}
    for i, row in enumerate(rows):
        if row["remove"] or not (row["start"] or row["end"]):
            continue
        raw = {k: _int(v) if k in ("location_id", "weekday") else v for k, v in row.items() if k != "remove"}
        try:
            rules.append(parse_rule(i, raw))
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid(errors)
    return rules


def _int(raw):
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 10 else raw


def _page(clinician_id: int, rows=None, trouble=None, off_form=None):
    c = catalog.get_clinician(db.session, clinician_id)
    f = Fields(request.args, query=True)
    visit_type_id = f.get("visit_type_id", ident) or (c.visit_types[0].id if c.visit_types else None)
    f.done()
    now, locale = clock.now(), viewer_locale()
    rows = _with_errors(rows, trouble) if rows is not None else _rows_from_rules(c)
    locations = catalog.list_locations(db.session)
    zones = {loc.id: loc.timezone for loc in locations}
    offs = [
        (o, _off_text(o, zones.get(o.location_id, "UTC"), locale))
        for o in catalog.list_time_off(db.session, c.id, since=now)
    ]
    html = render_template(
        "scheduler/availability.html",
        c=c,
        rows=rows + [{"modes": list(MODES)} for _ in range(BLANK_ROWS)],
        weekdays=WEEKDAYS,
        locations=locations,
        visit_type_id=visit_type_id,
        effect=desk_slots.week_effect(db.session, c, visit_type_id, now=now, locale=locale, actor=current_actor()),
        offs=offs,
        problem=trouble,
        off_form=off_form or {},
    )
    return html, trouble.status if trouble else 200


def _with_errors(rows: list[dict], trouble) -> list[dict]:
    """Each posted row with its own messages (`rules[i].end` -> rows[i]["errors"]["end"])."""
    fields = trouble.fields if trouble else {}
    for i, row in enumerate(rows):
        prefix = f"rules[{i}]."
        row["errors"] = {k.removeprefix(prefix): v for k, v in fields.items() if k.startswith(prefix)}
    return rows


def _off_text(o, zone_name: str, locale: str) -> str:
    zone = get_zone(zone_name)
    return f"{format_when(o.start_at, zone, locale)} to {format_when(o.end_at, zone, locale)}"


@bp.get("/clinicians/<int:clinician_id>/availability")
@desk_roles(*DESK)
def availability(clinician_id: int):
    return _page(clinician_id)


@bp.post("/clinicians/<int:clinician_id>/availability")
@desk_roles(*DESK)
def save_availability(clinician_id: int):
    rows = _rows_from_form(request.form)
    try:
        catalog.set_availability(db.session, clinician_id, _parse_rows(rows))
    except DomainError as exc:
        return _page(clinician_id, rows, problem(exc))
    flash("Weekly hours saved. The coming week below shows the effect.")
    return redirect(url_for("scheduler.availability", clinician_id=clinician_id))


OFF_FIELDS = ("kind", "location_id", "date", "start_date", "start_time", "end_date", "end_time", "reason")


def _over(form) -> catalog.OverVisits:
    """The scheduler's choice for the visits inside the time off, and the visits they saw when choosing."""
    choice = form.get("affected") or None
    if choice is not None and choice not in catalog.CHOICES:
        raise Invalid({"affected": "choose whether to keep or cancel the visits"})
    seen = frozenset(int(v) for v in form.getlist("seen") if v.isdigit() and len(v) < 12)
    return catalog.OverVisits(
        choice, seen=seen if choice else None, now=clock.now(), on_cancel=audit_trail.cancelled_each()
    )


def _time_off(clinician_id: int, form) -> catalog.NewTimeOff:
    f = Fields(dict(form), query=True)
    location_id, reason = f.get("location_id", ident, required=True), f.get("reason", text(200, lines=True))
    over = _over(form)
    if form.get("kind") == "day":
        date_ = f.get("date", day, required=True)
        f.done()
        return catalog.add_day_off(db.session, clinician_id, location_id, date_, reason, over=over)
    start = (f.get("start_date", day, required=True), f.get("start_time", hhmm, required=True))
    end = (f.get("end_date", day, required=True), f.get("end_time", hhmm, required=True))
    f.done()
    return catalog.add_local_time_off(db.session, clinician_id, location_id, start, end, reason, over=over)


def _choose(clinician_id: int, form, conflicts: TimeOffConflicts):
    """Nothing saved yet: the visits inside the time off, and the choice to keep them, cancel them, or go back."""
    c = catalog.get_clinician(db.session, clinician_id)
    visits = desk_calendar.visits(db.session, conflicts.appointment_ids, locale=viewer_locale(), actor=current_actor())
    off_form = {k: form.get(k, "") for k in OFF_FIELDS}
    again = bool(form.get("affected"))  # they chose, but another visit was booked in that time meanwhile
    return render_template("scheduler/time_off_choice.html", c=c, visits=visits, off_form=off_form, again=again)


def _added_message(added: catalog.NewTimeOff, choice: str | None) -> str:
    count = len(added.affected)
    visits = f"{count} visit{'s' if count != 1 else ''}"
    if not count:
        return "Time off added. Slots in that time are no longer offered."
    if choice == catalog.CANCEL:
        return f"Time off added. {visits} cancelled; each patient is being told."
    return f"Time off added. {visits} in that time {'is' if count == 1 else 'are'} kept as booked."


@bp.post("/clinicians/<int:clinician_id>/time-off")
@desk_roles(*DESK)
def add_time_off(clinician_id: int):
    try:
        added = _time_off(clinician_id, request.form)
    except TimeOffConflicts as exc:
        return _choose(clinician_id, request.form, exc)
    except DomainError as exc:
        return _page(clinician_id, trouble=problem(exc), off_form=request.form)
    flash(_added_message(added, request.form.get("affected")))
    return redirect(url_for("scheduler.availability", clinician_id=clinician_id))


@bp.post("/clinicians/<int:clinician_id>/time-off/<int:time_off_id>/delete")
@desk_roles(*DESK)
def delete_time_off(clinician_id: int, time_off_id: int):
    catalog.delete_time_off(db.session, clinician_id, time_off_id)
    flash("Time off removed.")
    return redirect(url_for("scheduler.availability", clinician_id=clinician_id))
