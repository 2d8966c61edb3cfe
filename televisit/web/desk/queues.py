"""The schedulers' queues: urgent cases raised by intakes, and patients waiting for an earlier slot."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import DomainError
from televisit.extensions import db
from televisit.services.desk import queues as desk_queues
from televisit.services.messaging import waitlist
from televisit.services.patients import intake
from televisit.web.auth import current_actor
from televisit.web.desk.blueprint import DESK, bp
from televisit.web.staff import desk_roles, problem, viewer_locale


def _urgent_page(trouble=None, case_id=None):
    cases = desk_queues.urgent(db.session, now=clock.now(), locale=viewer_locale())
    html = render_template("scheduler/urgent.html", cases=cases, problem=trouble, failed_id=case_id)
    return html, trouble.status if trouble else 200


@bp.get("/urgent")
@desk_roles(*DESK)
def urgent():
    return _urgent_page()


@bp.post("/urgent/<int:case_id>/resolve")
@desk_roles(*DESK)
def resolve_urgent(case_id: int):
    note = request.form.get("note", "").strip()
    try:
        case = intake.resolve_urgent(db.session, case_id, current_actor(), clock.now(), note)
    except DomainError as exc:
        return _urgent_page(problem(exc), case_id)
    flash(f"Resolved the urgent case of {case.patient.name}.")
    return redirect(url_for("scheduler.urgent"))


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
