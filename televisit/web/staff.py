"""Shared by the desk pages (scheduler, admin, clinician): role checks, form input, refusal messages, locale."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from flask import redirect, request, url_for

from televisit.domain.errors import DomainError, Forbidden, Invalid, SlotUnavailable
from televisit.domain.formatting import UK, US
from televisit.domain.identity import birth_date_text
from televisit.web.auth import current_actor
from televisit.web.wording import sentences

WHO = {
    ("admin", "scheduler"): "schedulers and admins",
    ("admin",): "admins",
    ("clinician",): "clinicians",
}

# What a scheduler reads when a booking or move is refused (DomainError.reason, REASONS in domain/availability).
REFUSALS = {
    "taken": "Someone booked that time a moment ago. Please pick another slot.",
    "too_soon": "That time is inside this visit type's minimum notice. Please pick a later slot.",
    "too_far": "That time is further ahead than this visit type can be booked. Please pick an earlier slot.",
    "outside_hours": "The clinician does not offer that time for this visit (outside their hours or not in that mode).",
    "time_off": "The clinician is away at that time. Please pick another slot.",
    "not_offered": "This clinician does not offer this visit type.",
    "not_licensed": (
        "The clinician is not licensed where the patient will be for a video visit. "
        "Book in person, or choose a clinician licensed in the patient's region."
    ),
    "mode_not_offered": "This visit type is not offered in that mode.",
    "closed": "The site is closed that day (a holiday or closure). Please pick another day.",
    "no_team": "Not every clinician this joint visit needs is free then. Please pick another slot.",
    "no_resource": "No room or machine this visit needs is free then. Please pick another slot.",
}


def desk_roles(*roles: str):
    """Pages for `roles` only: anonymous visitors go to sign-in, other roles get a friendly 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:  # back here after signing in
                return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
            if actor.role not in roles:
                raise Forbidden(f"This page is for {WHO.get(tuple(sorted(roles)), 'staff')} only.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


@dataclass
class Problem:
    """A refusal to show inline: one sentence, and messages by form field."""

    message: str
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 422


def problem(exc: DomainError) -> Problem:
    """The inline message for a refused action, each field's message a sentence that names the field in words."""
    if isinstance(exc, Invalid):
        return Problem("Please correct the fields marked below.", sentences(exc.fields), 422)
    if isinstance(exc, SlotUnavailable):
        return Problem(REFUSALS.get(exc.reason or "", exc.message), {}, 409)
    return Problem(exc.message, sentences(exc.fields), exc.status)


def form_body(form, *, ints=(), lists=(), bools=(), int_lists=()) -> dict:
    """A form as the JSON body the API's validators expect: numbers as ints, lists, checkboxes as booleans."""
    body: dict = {k: v.strip() for k, v in form.items() if k not in (*lists, *int_lists, *bools, "csrf_token")}
    for name in ints:
        body[name] = _number(body.get(name))
    for name in lists:
        body[name] = [v for v in form.getlist(name) if v.strip()]
    for name in int_lists:
        body[name] = [_number(v) for v in form.getlist(name) if v.strip()]
    for name in bools:
        body[name] = form.get(name) in ("1", "on", "true", "yes")
    return body


def _number(raw):
    text = (raw or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.lstrip("-").isdigit() and len(text) < 12 else text


def viewer_locale() -> str:
    """12-hour US or 24-hour UK, from the browser's languages (US when it says nothing useful)."""
    return request.accept_languages.best_match([US, UK]) or US


def desk_region() -> str:
    """The desk's own country, for reading a phone number typed without its country code (US or GB)."""
    return "US" if viewer_locale() == US else "GB"


def birth_date(born) -> str:
    """A date of birth as this desk reads it (a Jinja filter): 'Mar 14, 1958' or '14 Mar 1958'."""
    return birth_date_text(born, viewer_locale())


def id_choices(items) -> list[tuple[int, str]]:
    """(id, name) pairs for a <select> (a Jinja filter: `clinicians | id_choices`)."""
    return [(item.id, item.name) for item in items]
