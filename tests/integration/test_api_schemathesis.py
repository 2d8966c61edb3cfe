"""schemathesis against /api/v1/openapi.json: no 5xx, and every response is documented and matches its schema.

Runs on SQLite and on PostgreSQL (the `client` fixture), signed in as an admin with a bearer token so the
protected routes are exercised beyond their 401, over a small seeded program so that ids often exist.
Every operation gets valid (positive) and invalid (negative) requests, a bounded and derandomized number
of each: the run is reproducible and short.

schemathesis' own pytest plugin (`from_fixture`) does not run under pytest 9, so the operations are driven
through its Python API: each operation's case strategy, run by a Hypothesis test built here.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi import checks as openapi_checks

from televisit import clock
from televisit.extensions import db
from televisit.services import auth
from tests import factories as f
from tests.support.access_world import _care_ids as care_ids
from tests.support.board_world import board_ids

EXAMPLES = 20
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
ADMIN = "admin@example.org"
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def _seed(client) -> dict:
    """A program (sites, clinicians, users) and one booked visit; returns ids that exist, by path parameter."""
    p = f.program()
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "virtual", "start": "2027-03-08T09:00:00-05:00", "patient_region": "US-OH"}
    booked = client.post("/api/v1/appointments", json=body, headers=f.token(client, "other@example.org"))
    assert booked.status_code == 201, booked.json
    patient_id = p.users["other"].patient_id
    ids = {"appointment_id": booked.json["id"], "clinician_id": p.us_doc.id, "patient_id": patient_id}
    ids |= care_ids(p, booked.json["id"], clock.now()) | board_ids(p, clock.now())
    return ids | {"location_id": p.cleveland.id}


def _headers(admin: dict, case) -> dict:
    if case.method.upper() == "DELETE" and case.path == "/auth/token":
        # Revoke a throwaway token (issued directly: sign-in is rate-limited); the shared one must stay valid.
        user = auth.find_user(db.session, ADMIN)
        token, _ = auth.issue_token(db.session, user, now=clock.now(), hours=1)
        return {"Authorization": f"Bearer {token}"}
    return admin


def _strategies(operation, ids: dict):
    """Valid and invalid requests; for a path with ids, valid requests on records that exist too."""
    yield "positive", operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    yield "negative", operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    names = {p.name for p in operation.iter_parameters() if p.location == "path"}
    if names:
        pinned = {name: ids[name] for name in names}
        yield "existing", operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=pinned)


def _run(operation, label: str, strategy, admin: dict, seen: Counter) -> None:
    @given(case=strategy)
    @SETTINGS
    def run(case):
        response = case.call_and_validate(headers=_headers(admin, case), checks=CHECKS)
        seen[response.status_code] += 1

    try:
        run()
    except Unsatisfiable:
        if label != "negative" or list(operation.iter_parameters()) or operation.body:
            raise  # only an operation with nothing to send has no invalid request to make


def test_api_conforms_to_its_openapi_document(client):
    ids = _seed(client)
    admin = f.token(client, ADMIN)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # the whole API, not a stray subset
    failures, seen = [], Counter()
    for operation in operations:
        for label, strategy in _strategies(operation, ids):
            try:
                _run(operation, label, strategy, admin, seen)
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
                failures.append(f"{operation.label} [{label}]: {exc}")
    assert not failures, "\n\n".join(failures)
    assert {200, 201, 204, 400, 404, 422} <= set(seen), seen  # the examples reached past validation and auth
