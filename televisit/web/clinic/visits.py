"""A clinician's visit page: the patient's reason and intake answers (attending clinicians only, each view in the
audit trail), and "no-show" / "end visit" behind a confirmation page.

Confirmation is a step of its own (docs/desk-pages.md, "The clinician"): the visit page links to a page that says
what will happen and holds the one form that does it; the form acts only with its `confirm=yes` button, so a
stray POST changes nothing. No JavaScript is needed; the waiting-room dashboard asks the same in a <dialog>.
The change runs the waiting room's own use case, so the patient's page and every clinic list hear of it live.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import DomainError
from televisit.domain.roles import CLINICIAN
from televisit.extensions import db
from televisit.services.desk import clinic_visit
from televisit.services.waiting_room import line as room
from televisit.services.waiting_room import visit as video
from televisit.services.waiting_room.callers import Caller
from televisit.web.clinic.blueprint import bp, me
from televisit.web.realtime import publish
from televisit.web.staff import Problem, desk_roles, problem, viewer_locale


@dataclass(frozen=True)
class Step:
    """A change that asks first: what the page asks, what the button says, what happens, and the use case."""

    endpoint: str
    question: str
    button: str
    effect: str
    done: str
    allowed: str  # the ClinicVisit property that says whether it can happen now
    refused: str  # the ClinicVisit field that says why not
    run: object


NO_SHOW = Step(
    "clinician.no_show",
    "Mark {name} as a no-show?",
    "Yes, mark as a no-show",
    "The visit is recorded as missed and its waiting room closes: the patient's page asks them to contact the clinic "
    "to book another time. This cannot be undone here.",
    "Marked {name} as a no-show.",
    "can_no_show",
    "no_show_refused",
    room.no_show,
)
END = Step(
    "clinician.end_visit",
    "End the visit with {name}?",
    "Yes, end the visit",
    "The video call ends for everyone in it and the visit is recorded as completed. This cannot be undone.",
    "Visit with {name} ended.",
    "can_end",
    "end_refused",
    video.end_visit,
)


def _visit(appointment_id: int):
    actor, clinician = me()
    return clinic_visit.visit(
        db.session, appointment_id, clinician, now=clock.now(), locale=viewer_locale(), actor=actor
    )


@bp.get("/visits/<int:appointment_id>")
@desk_roles(CLINICIAN)
def visit(appointment_id: int):
    return render_template("clinician/visit.html", v=_visit(appointment_id))


UNCONFIRMED = "Nothing was changed. Use the button below to confirm, or go back to the visit."


def _confirm_page(step: Step, appointment_id: int, trouble=None):
    v = _visit(appointment_id)
    html = render_template(
        "clinician/confirm.html", v=v, step=step, name=v.entry.patient, problem=trouble,
        allowed=getattr(v, step.allowed), refused=getattr(v, step.refused),
    )  # fmt: skip
    return html, trouble.status if trouble else 200


def _act(step: Step, appointment_id: int):
    """Run the change once the form says `confirm=yes`; otherwise (or when refused) show the question again."""
    if request.form.get("confirm") != "yes":
        return _confirm_page(step, appointment_id, Problem(UNCONFIRMED, {}, 400))
    actor, _ = me()
    try:
        outcome = step.run(db.session, Caller(actor), appointment_id, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _confirm_page(step, appointment_id, problem(exc))
    publish(outcome)
    v = _visit(appointment_id)
    flash(step.done.format(name=v.entry.patient))
    return redirect(url_for("clinician.today", date=v.entry.day.isoformat()))


@bp.get("/visits/<int:appointment_id>/no-show")
@desk_roles(CLINICIAN)
def confirm_no_show(appointment_id: int):
    return _confirm_page(NO_SHOW, appointment_id)


@bp.post("/visits/<int:appointment_id>/no-show")
@desk_roles(CLINICIAN)
def no_show(appointment_id: int):
    return _act(NO_SHOW, appointment_id)


@bp.get("/visits/<int:appointment_id>/end")
@desk_roles(CLINICIAN)
def confirm_end_visit(appointment_id: int):
    return _confirm_page(END, appointment_id)


@bp.post("/visits/<int:appointment_id>/end")
@desk_roles(CLINICIAN)
def end_visit(appointment_id: int):
    return _act(END, appointment_id)
