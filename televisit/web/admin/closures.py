"""Admin page for site closures (holidays): close a site for a local day, see the closures to come and the
visits already booked on each, with links to move them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.calendar import range_label
from televisit.domain.errors import DomainError
from televisit.domain.roles import ADMIN
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.desk import sites
from televisit.services.pathways import resources
from televisit.web.admin.blueprint import bp
from televisit.web.api.parse import Fields, day, ident, text
from televisit.web.staff import desk_roles, form_body, problem, viewer_locale


def _page(form=None, trouble=None):
    html = render_template(
        "admin/closures.html",
        closures=sites.closures_ahead(db.session, now=clock.now(), locale=viewer_locale()),
        locations=catalog.list_locations(db.session),
        form=form or {},
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


@bp.get("/closures")
@desk_roles(ADMIN)
def closures():
    return _page()


@bp.post("/closures")
@desk_roles(ADMIN)
def add_closure():
    f = Fields(form_body(request.form, ints=("location_id",)))
    try:
        location_id, date_ = f.get("location_id", ident, required=True), f.get("date", day, required=True)
        reason = f.get("reason", text(200))
        f.done()
        closure = resources.add_closure(db.session, location_id, date_, reason)
        booked = len(resources.booked_on(db.session, location_id, date_))
    except DomainError as exc:
        db.session.rollback()  # a refused change leaves nothing behind (the audit hook commits)
        return _page(request.form, problem(exc))
    site = catalog.get_location(db.session, closure.location_id).name
    then = range_label([closure.day], viewer_locale())
    flash(f"{site} is closed on {then}. Nothing more is booked there that day." + _still_booked(booked))
    return redirect(url_for("admin.closures", _anchor=f"closure-{closure.id}"))


def _still_booked(count: int) -> str:
    if not count:
        return ""
    if count == 1:
        return " 1 visit is already booked that day: move it below."
    return f" {count} visits are already booked that day: move them below."
