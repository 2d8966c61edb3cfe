"""Helpers for the tests of IHE ITI Scheduling's operations through /fhir: Parameters bodies, `$find`, `$hold`
and `$book` calls (each answer checked as valid R4 by `fhir_world.fhir`), and a SMART client token stand-in."""

from __future__ import annotations

from sqlalchemy import select

from televisit.domain.roles import Actor
from televisit.extensions import db
from televisit.models import OutboxMessage
from tests import factories as f
from tests.support.fhir_world import entries, fhir

DAY = "2027-03-08"  # a Monday a week after the suite's clock (Mon 1 Mar 12:00 UTC), before US DST
START, END = f"{DAY}T00:00:00-05:00", f"{DAY}T23:59:00-05:00"
REFERENCES = ("appointment-reference", "patient-reference", "practitioner", "location-reference")
DATES = ("start", "end")


def parameters(*pairs) -> dict:
    """A Parameters resource of (name, value) pairs: a dict value is sent as is (`{"valueCoding": ...}`,
    `{"resource": ...}`), references as valueReference, start/end as valueDateTime, anything else as text."""
    out = []
    for name, value in pairs:
        if isinstance(value, dict):
            out.append({"name": name, **value})
        elif name in REFERENCES:
            out.append({"name": name, "valueReference": {"reference": value}})
        elif name in DATES:
            out.append({"name": name, "valueDateTime": value})
        elif isinstance(value, int):
            out.append({"name": name, "valueInteger": value})
        else:
            out.append({"name": name, "valueString": value})
    return {"resourceType": "Parameters", "parameter": out}


def find(client, headers, *pairs, status: int = 200, start: str = START, end: str = END) -> dict:
    """POST $find for the test Monday (or `start`..`end`) with more criteria; returns the Bundle."""
    body = parameters(("start", start), ("end", end), *pairs)
    return fhir(client, "POST", "/Appointment/$find", status, headers=headers, json=body)


def proposals(bundle: dict) -> list[dict]:
    """The proposed Appointments of a `$find` Bundle."""
    return entries(bundle, "Appointment")


def hold(client, headers, proposed_id: str, *pairs, status: int = 200) -> dict:
    """POST $hold of a proposed appointment; the held Appointment (or the OperationOutcome of a refusal)."""
    body = parameters(("appointment-reference", f"Appointment/{proposed_id}"), *pairs)
    answer = fhir(client, "POST", "/Appointment/$hold", status, headers=headers, json=body)
    return entries(answer, "Appointment")[0] if status == 200 else answer


def book(client, headers, *pairs, status: int = 200) -> dict:
    """POST $book; the booked (or cancelled) Appointment, or the OperationOutcome of a refusal."""
    answer = fhir(client, "POST", "/Appointment/$book", status, headers=headers, json=parameters(*pairs))
    if status == 200:
        assert answer["resourceType"] == "Bundle" and answer["type"] == "searchset" and answer["total"] == 1
        return entries(answer, "Appointment")[0]
    return answer


def proposed_id(p, hhmm: str, mode: str = "v", doc=None, day: str = "20270308") -> str:
    """The id `$find` gives the Cleveland consult at local `hhmm` on the test Monday (EST: UTC-5)."""
    hh, mm = (int(x) for x in hhmm.split(":"))
    doc = doc or p.us_doc
    return f"p.{doc.id}.{p.cleveland.id}.{p.consult.id}.{mode}.{day}{hh + 5:02d}{mm:02d}"


def outbox_of(appointment_id: int) -> list[tuple[str, str]]:
    """(rule, channel) of every message planned for the appointment."""
    db.session.commit()
    stmt = select(OutboxMessage.rule, OutboxMessage.channel).where(OutboxMessage.appointment_id == appointment_id)
    found = sorted(tuple(row) for row in db.session.execute(stmt))
    db.session.commit()
    return found


def system_tokens(monkeypatch):
    """Bearer headers of SMART client tokens: `headers("system/Slot.read system/Appointment.write")`. The token
    look-up is stood in for (services/integrations/tokens.py is another change's): the client acts as a service
    user of role scheduler, as registered clients do."""
    from televisit.web.fhir import auth

    service = f.user("ehr-client@example.org", "scheduler")
    actor = Actor(service.id, "scheduler")

    def client_for_token(session, token, *, now):
        return (actor, frozenset(token[4:].split("+"))) if token.startswith("sys:") else None

    monkeypatch.setattr(auth, "client_for_token", client_for_token)
    return lambda scopes: {"Authorization": "Bearer sys:" + "+".join(scopes.split())}
