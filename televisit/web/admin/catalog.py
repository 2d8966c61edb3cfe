"""Admin pages (/admin): the index, locations and visit types; people and the audit trail have their own modules."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from televisit.domain.availability import MODES
from televisit.domain.errors import DomainError
from televisit.domain.patient_input import COMMON_ZONES
from televisit.domain.reminders import DEFAULT_POLICY, policy_json
from televisit.domain.roles import ADMIN
from televisit.extensions import db
from televisit.services import catalog
from televisit.web.admin.blueprint import bp
from televisit.web.api.catalog import SPECIALTIES, location_data, visit_type_data
from televisit.web.staff import desk_roles, form_body, problem

REMINDER_ROWS = 4
TEAM_ROWS = 3  # a joint visit of up to three specialties
VISIT_INTS = (
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "max_advance_days",
)


@bp.get("")
@desk_roles(ADMIN)
def index():
    return render_template(
        "admin/index.html",
        locations=catalog.list_locations(db.session),
        visit_types=catalog.list_visit_types(db.session),
        clinicians=catalog.list_clinicians(db.session),
    )


@bp.get("/locations")
@desk_roles(ADMIN)
def locations():
    return render_template("admin/locations.html", locations=catalog.list_locations(db.session))


def _location_page(loc=None, form=None, trouble=None):
    values = form or (vars(loc) if loc else {"country": "US", "timezone": "America/New_York"})
    html = render_template("admin/location_form.html", loc=loc, form=values, zones=COMMON_ZONES, problem=trouble)
    return html, trouble.status if trouble else 200


@bp.get("/locations/new")
@desk_roles(ADMIN)
def new_location():
    return _location_page()


@bp.get("/locations/<int:location_id>")
@desk_roles(ADMIN)
def edit_location(location_id: int):
    return _location_page(catalog.get_location(db.session, location_id))


@bp.post("/locations", defaults={"location_id": None})
@bp.post("/locations/<int:location_id>")
@desk_roles(ADMIN)
def save_location(location_id: int | None):
    loc = catalog.get_location(db.session, location_id) if location_id else None
    try:
        data = location_data(form_body(request.form))
        loc = catalog.update_location(db.session, loc.id, data) if loc else catalog.create_location(db.session, data)
    except DomainError as exc:
        return _location_page(loc, request.form, problem(exc))
    flash(f"Saved {loc.name}.")
    return redirect(url_for("admin.locations"))


@bp.get("/visit-types")
@desk_roles(ADMIN)
def visit_types():
    return render_template("admin/visit_types.html", visit_types=catalog.list_visit_types(db.session))


def _reminder_rows(vt) -> list[dict]:
    stored = (vt.reminder_policy if vt is not None else None) or policy_json(DEFAULT_POLICY)
    rows = [{"name": r["name"], "minutes": r["minutes_before"], "channels": r["channels"]} for r in stored]
    return rows + [{"channels": []} for _ in range(REMINDER_ROWS - len(rows))]


def _visit_type_page(vt=None, form=None, trouble=None):
    if form is not None:
        values = form.to_dict() | {"modes": form.getlist("modes"), "team": _posted_team(form)}
    else:
        values = vars(vt) | {"modes": list(vt.modes)} if vt else {"modes": list(MODES), "max_advance_days": 180}
        values |= {
            "resource_kinds": ", ".join(vt.resource_kinds or []) if vt else "",
            "team": list(vt.team_specialties or []) if vt else [],
        }
    values["team"] = (values["team"] + [""] * TEAM_ROWS)[:TEAM_ROWS]
    html = render_template(
        "admin/visit_type_form.html",
        vt=vt,
        form=values,
        modes=MODES,
        specialties=[(s, s.replace("_", " ").capitalize()) for s in SPECIALTIES],
        reminders=_reminder_rows(vt) if form is None else _posted_reminders(form),
        default_policy=(vt is None or vt.reminder_policy is None) if form is None else "reminder_default" in form,
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


def _posted_team(form) -> list[str]:
    return [form.get(f"team-{i}", "").strip() for i in range(TEAM_ROWS)]


def _care_fields(form) -> dict:
    """What the visit holds beyond one clinician: resource kinds typed as a list ("mri, linac"), and the
    team's specialties in order (the first leads the visit); empty = neither."""
    kinds = [k.lower() for k in re.split(r"[\s,;]+", form.get("resource_kinds", "")) if k]
    return {"resource_kinds": kinds, "team_specialties": [t for t in _posted_team(form) if t]}


def _posted_reminders(form) -> list[dict]:
    return [
        {
            "name": form.get(f"reminder-{i}-name", "").strip(),
            "minutes": form.get(f"reminder-{i}-minutes", "").strip(),
            "channels": form.getlist(f"reminder-{i}-channels"),
        }
        for i in range(REMINDER_ROWS)
    ]


def _policy(form) -> list | None:
    """The posted reminder rows in the stored form (validated by the service); None = the default policy."""
    if "reminder_default" in form:
        return None
    rows = [r for r in _posted_reminders(form) if r["name"] or r["minutes"]]
    return [
        {"name": r["name"], "minutes_before": int(r["minutes"]) if r["minutes"].isdigit() else r["minutes"]}
        | {"channels": r["channels"]}
        for r in rows
    ]


@bp.get("/visit-types/new")
@desk_roles(ADMIN)
def new_visit_type():
    return _visit_type_page()


@bp.get("/visit-types/<int:visit_type_id>")
@desk_roles(ADMIN)
def edit_visit_type(visit_type_id: int):
    return _visit_type_page(catalog.get_visit_type(db.session, visit_type_id))


@bp.post("/visit-types", defaults={"visit_type_id": None})
@bp.post("/visit-types/<int:visit_type_id>")
@desk_roles(ADMIN)
def save_visit_type(visit_type_id: int | None):
    vt = catalog.get_visit_type(db.session, visit_type_id) if visit_type_id else None
    try:
        body = form_body(request.form, ints=VISIT_INTS, lists=("modes",)) | _care_fields(request.form)
        data = visit_type_data(body) | {"reminder_policy": _policy(request.form)}
        vt = catalog.update_visit_type(db.session, vt.id, data) if vt else catalog.create_visit_type(db.session, data)
    except DomainError as exc:
        return _visit_type_page(vt, request.form, problem(exc))
    flash(f"Saved {vt.name}.")
    return redirect(url_for("admin.visit_types"))
