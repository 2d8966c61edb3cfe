"""IHE ITI Scheduling's operations on Appointment: `$find` (proposed appointments: free slots from the same
engine as `/api/v1/slots`), `$hold` (a pending appointment that keeps its time, services/booking/holds.py) and
`$book` (book a proposed or held appointment; with `appointment-resource` status `cancelled`, cancel one).

Who: `$find` needs a token with Appointment or Slot read; `$hold` and `$book` need Appointment write and a
patient (for themself: `patient-reference` absent or theirs), a scheduler or an admin (`patient-reference`
required, `Patient/<id>`), or a system client (acting as a scheduler). Answers are searchset Bundles (with the
Appointment, and an informational OperationOutcome where there is something to say); refusals are
OperationOutcomes with their 4xx.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from flask import current_app

from televisit import clock
from televisit.domain.errors import Forbidden, Invalid, NotFound, Unauthorized
from televisit.domain.roles import ADMIN, PATIENT, SCHEDULER
from televisit.domain.timezones import UTC, render
from televisit.extensions import db
from televisit.services.booking import appointments as booking
from televisit.services.booking import holds
from televisit.services.integrations import appointments as info
from televisit.services.integrations import find as finder
from televisit.web import audit as audit_trail
from televisit.web.fhir import appointment_build as build
from televisit.web.fhir import op_inputs as inputs
from televisit.web.fhir.appointments import resources, shows_patient
from televisit.web.fhir.auth import READ, WRITE, Caller, allowed, current_caller
from televisit.web.fhir.blueprint import bp
from televisit.web.fhir.bundle import Page, base_url, page_of, searchset
from televisit.web.fhir.parameters import OpParams
from televisit.web.fhir.responses import as_dict, fhir_json

BOOKERS = (PATIENT, SCHEDULER, ADMIN)


def finder_allowed(view):
    """A `$find` caller: signed in (a proposal may name a patient), with Appointment or Slot read if a system."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        caller = current_caller()
        if caller.actor is None:
            raise Unauthorized("Send a bearer token: the API's, or a SMART Backend Services client's.")
        if not (caller.may("Appointment", READ) or caller.may("Slot", READ)):
            raise Forbidden("This token's scopes do not allow read of Appointment or Slot.")
        return view(*args, **kwargs)

    wrapped.signed_in_only = True  # never a public read (web/caching.py: no-store)
    return wrapped


def _information(text: str) -> dict:
    issue = {"severity": "information", "code": "informational", "diagnostics": text}
    return {"resource": {"resourceType": "OperationOutcome", "issue": [issue]}, "search": {"mode": "outcome"}}


def _links(pairs: list[tuple[str, str]], page: Page, total: int) -> list[dict]:
    """self/next/previous of a `$find` as GET URLs carrying every criterion (a POST's too)."""
    kept = [(k, v) for k, v in pairs if k not in ("_count", "_offset")]

    def url(offset: int) -> str:
        query = urlencode([*kept, ("_count", str(page.count)), ("_offset", str(offset))])
        return f"{base_url()}/Appointment/$find?{query}"

    links = [{"relation": "self", "url": url(page.offset)}]
    if page.end < total:
        links.append({"relation": "next", "url": url(page.end)})
    if page.offset:
        links.append({"relation": "previous", "url": url(max(page.offset - page.count, 0))})
    return links


@bp.route("/Appointment/$find", methods=["GET", "POST"])
@finder_allowed
def find_appointments():
    caller = current_caller()
    params = OpParams.from_request(allow_get=True)
    page = page_of(dict(params.pairs))
    patient_id = inputs.patient_of(params, caller, required=False)
    query = inputs.find_query(params, patient_region=inputs.region_of(patient_id))
    slots = finder.find(db.session, query, now=clock.now())
    names = info.names(db.session, patient_ids=[patient_id] if patient_id else [])
    patient = (patient_id, names.patients.get(patient_id) if shows_patient(caller) else None) if patient_id else None
    shown = [build.proposed(s, names, patient=patient) for s in slots[page.offset : page.end]]
    bundle = searchset(shown, page, total=len(slots))
    bundle["link"] = _links(params.pairs, page, len(slots))
    ignored = inputs.unused(params)
    if ignored:
        bundle["entry"].append(_information(f"Not used by this server: {', '.join(ignored)}."))
    return fhir_json(bundle)


def _answer(appt, caller: Caller, note: str | None = None):
    """IHE's answer: a searchset Bundle of the one Appointment (and a note)."""
    resource = as_dict(resources([appt], caller)[0])
    entry = [{"fullUrl": f"{base_url()}/Appointment/{appt.id}", "resource": resource, "search": {"mode": "match"}}]
    if note:
        entry.append(_information(note))
    return fhir_json({"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": entry})


def _settings() -> dict:
    return {"max_upcoming": current_app.config["PATIENT_MAX_UPCOMING"]}


@bp.post("/Appointment/$hold")
@allowed("Appointment", WRITE, roles=BOOKERS)
def hold_appointment():
    caller = current_caller()
    params = OpParams.from_request()
    key = inputs.proposal(params.one("appointment-reference", required=True), "appointment-reference")
    patient_id = inputs.patient_of(params, caller, required=True)
    req = booking.BookingRequest(inputs.slot_request(key), patient_id, inputs.comment(params))
    minutes = current_app.config["HOLD_MINUTES"]
    appt = holds.hold(
        db.session,
        req,
        actor=caller.actor,
        now=clock.now(),
        minutes=minutes,
        before_commit=audit_trail.staged(200),
        **_settings(),
    )
    until = render(appt.hold_expires_at, UTC)
    return _answer(appt, caller, f"Held until {until}: book it with $book (appointment-reference) before then.")


def _book(ref: str, params: OpParams, caller: Caller, name: str, resource: dict | None = None):
    """Book the proposed or held appointment `ref` names."""
    appointment_id, key = inputs.target(ref, name)
    now, staged = clock.now(), audit_trail.staged(200)
    if key is not None:
        patient_id = inputs.patient_of(params, caller, required=True, resource=resource)
        req = booking.BookingRequest(inputs.slot_request(key), patient_id, inputs.comment(params, resource))
        return holds.book(db.session, req, actor=caller.actor, now=now, before_commit=staged, **_settings())
    return holds.confirm(db.session, appointment_id, actor=caller.actor, now=now, before_commit=staged, **_settings())


def _cancel(resource: dict, params: OpParams, caller: Caller):
    appointment_id, key = inputs.target(resource.get("id") or "", "appointment-resource.id")
    if key is not None:
        raise NotFound("A proposed appointment is not stored: there is nothing to cancel.")
    reason = inputs.cancel_reason(params, resource)
    staged = audit_trail.staged(200, action="appointment.cancel")
    return holds.cancel(
        db.session, appointment_id, actor=caller.actor, now=clock.now(), reason=reason, before_commit=staged
    )


@bp.post("/Appointment/$book")
@allowed("Appointment", WRITE, roles=BOOKERS)
def book_appointment():
    caller = current_caller()
    params = OpParams.from_request()
    ref, resource = params.one("appointment-reference"), inputs.appointment_resource(params)
    if (ref is None) == (resource is None):
        raise Invalid({"appointment-reference": "send either appointment-reference or appointment-resource"})
    if resource is None:
        return _answer(_book(ref, params, caller, "appointment-reference"), caller)
    if resource["status"] == "cancelled":
        return _answer(_cancel(resource, params, caller), caller)
    if resource["status"] != "pending":
        raise Invalid({"appointment-resource.status": inputs.BOOK_STATUSES})
    appt = _book(resource.get("id") or "", params, caller, "appointment-resource.id", resource)
    return _answer(appt, caller)
