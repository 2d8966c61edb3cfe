"""The schedulers' queues: urgent cases (from intakes and video check-ins) and the earlier-slot waitlist."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import DomainError
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.desk import queues as desk_queues
from televisit.services.desk import urgent as desk_urgent
from televisit.services.messaging import waitlist
from televisit.services.urgent import cases as urgent_cases
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.staff import desk_roles, problem, viewer_locale

VIEWS = ("open", "resolved")


def _clocks() -> tuple[desk_urgent.Clocks, list[str]]:
    """The desk's zone (`tz`, one of the sites' zones; the first site's by default) and the zones offered."""
    zones = list(dict.fromkeys(loc.timezone for loc in catalog.list_locations(db.session))) or ["UTC"]
    chosen = request.args.get("tz")
    zone = chosen if chosen in zones else zones[0]
    return desk_urgent.Clocks(get_zone(zone), viewer_locale()), zones


def _urgent_page(trouble=None, case_id=None, note=""):
    view = request.args.get("show") if request.args.get("show") in VIEWS else "open"
    clocks, zones = _clocks()
    cases = desk_urgent.open_cases(db.session, now=clock.now(), clocks=clocks) if view == "open" else []
    done = desk_urgent.resolved_cases(db.session, clocks=clocks) if view == "resolved" else []
    html = render_template(
        "scheduler/urgent.html",
        view=view,
        cases=cases,
        resolved=done,
        open_count=len(cases) if view == "open" else urgent_cases.open_count(db.session),
        zone=clocks.zone.key,
        zones=[(z, desk_urgent.city_of(get_zone(z))) for z in zones],
        problem=trouble,
        failed_id=case_id,
        note=note,
    )
    return html, trouble.status if trouble else 200


@bp.get("/urgent")
@desk_roles(*DESK)
def urgent():
    return _urgent_page()


@bp.post("/urgent/<int:case_id>/resolve")
@desk_roles(*DESK)
def resolve_urgent(case_id: int):
    note = request.form.get("note", "")
    try:
        case = urgent_cases.resolve_urgent(db.session, case_id, current_actor(), clock.now(), note)
    except DomainError as exc:
        db.session.rollback()
        return _urgent_page(problem(exc), case_id, note)
    flash(f"Resolved the urgent case of {case.patient.name}. It is listed under “Resolved”.")
    return redirect(url_for("scheduler.urgent", tz=request.args.get("tz")))


@bp.get("/waitlist")
@desk_roles(*DESK)
def waitlist_page():
    rows = desk_queues.waiting(db.session, locale=viewer_locale(), actor=current_actor())
    return render_template("scheduler/waitlist.html", rows=rows)


@bp.post("/waitlist/<int:appointment_id>/remove")
@desk_roles(*DESK)
def leave_waitlist(appointment_id: int):
    waitlist.leave(db.session, appointment_id, actor=current_actor())
    flash("Removed from the waitlist; their appointment is unchanged.")
    return redirect(url_for("scheduler.waitlist_page"))
