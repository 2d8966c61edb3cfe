"""Admin pages for people: clinicians (specialty, licences, visit types, email) and users with their roles."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import DomainError
from televisit.domain.patient_input import COMMON_ZONES
from televisit.domain.roles import ADMIN, PATIENT, STAFF
from televisit.extensions import db
from televisit.services import auth, catalog, users
from televisit.web.admin.blueprint import bp
from televisit.web.api.catalog import SPECIALTIES, clinician_data
from televisit.web.auth import current_actor
from televisit.web.staff import desk_roles, form_body, problem

ROLE_CHOICES = [(role, role.capitalize()) for role in (*STAFF, PATIENT)]


@bp.get("/clinicians")
@desk_roles(ADMIN)
def clinicians():
    return render_template(
        "admin/clinicians.html",
        clinicians=catalog.list_clinicians(db.session),
        locations={loc.id: loc for loc in catalog.list_locations(db.session)},
    )


def _clinician_values(c) -> dict:
    return {
        "name": c.name,
        "specialty": c.specialty,
        "email": c.email or "",
        "phone": c.phone or "",
        "licenses": ", ".join(c.licenses or []),
        "visit_type_ids": [vt.id for vt in c.visit_types],
    }


def _clinician_page(c=None, form=None, trouble=None):
    if form is not None:
        values = form.to_dict() | {"visit_type_ids": [int(v) for v in form.getlist("visit_type_ids") if v.isdigit()]}
    else:
        values = _clinician_values(c) if c else {"visit_type_ids": []}
    html = render_template(
        "admin/clinician_form.html",
        c=c,
        form=values,
        specialties=[(s, s.replace("_", " ").capitalize()) for s in SPECIALTIES],
        visit_types=catalog.list_visit_types(db.session),
        locations={loc.id: loc for loc in catalog.list_locations(db.session)},
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


def _clinician_body(form) -> dict:
    body = form_body(form, int_lists=("visit_type_ids",))
    body["licenses"] = [code.upper() for code in re.split(r"[\s,;]+", form.get("licenses", "")) if code]
    return body


@bp.get("/clinicians/new")
@desk_roles(ADMIN)
def new_clinician():
    return _clinician_page()


@bp.get("/clinicians/<int:clinician_id>")
@desk_roles(ADMIN)
def edit_clinician(clinician_id: int):
    return _clinician_page(catalog.get_clinician(db.session, clinician_id))


@bp.post("/clinicians", defaults={"clinician_id": None})
@bp.post("/clinicians/<int:clinician_id>")
@desk_roles(ADMIN)
def save_clinician(clinician_id: int | None):
    c = catalog.get_clinician(db.session, clinician_id) if clinician_id else None
    try:
        data = clinician_data(_clinician_body(request.form))
        c = catalog.update_clinician(db.session, c.id, data) if c else catalog.create_clinician(db.session, data)
    except DomainError as exc:
        return _clinician_page(c, request.form, problem(exc))
    flash(f"Saved {c.name}.")
    return redirect(url_for("admin.clinicians"))


def _users_page(form=None, trouble=None):
    html = render_template(
        "admin/users.html",
        users=users.list_users(db.session),
        role_choices=ROLE_CHOICES,
        zones=COMMON_ZONES,
        form=form or {"role": "scheduler", "timezone": "America/New_York"},
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


@bp.get("/users")
@desk_roles(ADMIN)
def users_list():
    return _users_page()


@bp.post("/users")
@desk_roles(ADMIN)
def create_user():
    f = request.form
    try:
        user = auth.create_user(
            db.session,
            email=f.get("email", "").strip(),
            password=f.get("password", ""),
            role=f.get("role", ""),
            name=f.get("name", "").strip() or None,
            now=clock.now(),
            timezone=f.get("timezone") or "America/New_York",
        )
    except DomainError as exc:
        return _users_page(f, problem(exc))
    flash(f"Created {user.email} ({user.role}).")
    return redirect(url_for("admin.users_list"))


def _user_page(user, form=None, trouble=None):
    values = form or {"name": user.name, "role": user.role, "active": "1" if user.active else ""}
    html = render_template(
        "admin/user_form.html", user=user, form=values, role_choices=ROLE_CHOICES[:3], problem=trouble
    )
    return html, trouble.status if trouble else 200


@bp.get("/users/<int:user_id>")
@desk_roles(ADMIN)
def edit_user(user_id: int):
    return _user_page(users.get_user(db.session, user_id))


@bp.post("/users/<int:user_id>")
@desk_roles(ADMIN)
def save_user(user_id: int):
    user, f = users.get_user(db.session, user_id), request.form
    try:
        name, role, active = f.get("name", "").strip(), f.get("role", ""), f.get("active") == "1"
        users.update_user(db.session, user.id, name=name, role=role, active=active, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        return _user_page(users.get_user(db.session, user_id), f, problem(exc))
    flash(f"Saved {user.email}.")
    return redirect(url_for("admin.users_list"))
