"""Object-level authorization: every route and socket event, tried as every kind of caller.

MATRIX names, for each (endpoint, method) the app serves, who gets through. A route missing from it fails
`test_every_route_is_in_the_matrix`, so a new route cannot ship unclassified. "Through" means the request
reached the action (any answer but 401/403/404 or a redirect to sign-in). For signed links and calendar
feeds the token is the credential: every caller gets through with a valid one and nobody with a forged one.
Runs on SQLite only: authorization does not depend on the database.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from televisit import clock
from televisit.extensions import db
from televisit.models import User
from tests.conftest import _wipe
from tests.support.access_world import EMAILS, PERSONAS, build, page_client

IGNORED_METHODS = {"HEAD", "OPTIONS"}
ALL = frozenset(PERSONAS)
SIGNED_IN = ALL - {"anonymous"}
PATIENTS = frozenset({"patient", "other_patient"})
CLINICIANS = frozenset({"clinician", "other_clinician"})
DESK = frozenset({"scheduler", "admin"})
ADMIN = frozenset({"admin"})
VISIT = frozenset({"patient", "clinician", "scheduler", "admin"})  # the owner and the staff who see the visit
OWNER = frozenset({"patient"})
NOBODY = frozenset()
PUBLIC = "public"  # no credentials involved (sign-in itself, catalog, static files): only "no 5xx" is checked
TOKEN = "token"  # the URL's signed token is the credential
DEV = "dev"  # development-only pages, not registered in production (test_dev_pages_absent_in_production)
SIGNED_WEBHOOK = "twilio"  # Twilio signs its callbacks: an unsigned request is refused whoever sends it
# This machine or the metrics token, whoever signed in: from elsewhere every persona is refused (the token's own
# tests: tests/integration/test_operations_metrics.py)
OPERATOR = "operator"
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}

MATRIX: dict[tuple[str, str], frozenset | str] = {
    ("pages.index", "GET"): PUBLIC,
    ("pages.healthz", "GET"): PUBLIC,
    ("ops.readyz", "GET"): PUBLIC,
    ("ops.metrics", "GET"): OPERATOR,
    ("pages.favicon", "GET"): PUBLIC,
    ("pages.login", "GET"): PUBLIC,
    ("pages.login", "POST"): PUBLIC,
    ("pages.logout", "POST"): PUBLIC,
    ("patient.signup", "GET"): PUBLIC,
    ("patient.signup", "POST"): PUBLIC,
    ("plan.call_us", "GET"): PUBLIC,  # the board's message's call-us page: the number, nothing about anyone
    # Account links carry their token in the query (or form): tests/integration/test_hardening_accounts.py
    ("account.check_email", "GET"): PUBLIC,
    ("account.confirm", "GET"): PUBLIC,
    ("account.forgot", "GET"): PUBLIC,
    ("account.forgot", "POST"): PUBLIC,
    ("account.reset", "GET"): PUBLIC,
    ("account.reset", "POST"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("vendor.asset", "GET"): PUBLIC,
    ("api.create_token", "POST"): PUBLIC,
    ("api.openapi_document", "GET"): PUBLIC,
    ("api.list_slots", "GET"): PUBLIC,
    ("api.list_locations", "GET"): PUBLIC,
    ("api.list_visit_types", "GET"): PUBLIC,
    ("api.list_clinicians", "GET"): PUBLIC,
    ("api.get_clinician", "GET"): PUBLIC,
    ("api.get_availability", "GET"): PUBLIC,
    ("dev_outbox.index", "GET"): DEV,
    ("dev_outbox.invitation", "GET"): DEV,
    ("webhooks.inbound_sms", "POST"): SIGNED_WEBHOOK,
    ("webhooks.delivery_status", "POST"): SIGNED_WEBHOOK,
    # JSON API
    ("api.revoke_token", "DELETE"): SIGNED_IN,
    ("api.create_appointment", "POST"): PATIENTS | DESK,  # a patient for themself only: other_patient names the owner
    (
        "api.list_appointments",
        "GET",
    ): SIGNED_IN,  # each sees only their own (test_lists_show_only_what_the_caller_may_see)
    ("api.get_appointment", "GET"): VISIT,
    ("api.appointment_calendar", "GET"): VISIT,
    ("api.cancel_appointment", "POST"): VISIT,
    ("api.reschedule_appointment", "POST"): VISIT,
    ("api.join_waitlist", "POST"): VISIT,
    ("api.leave_waitlist", "DELETE"): VISIT,
    ("api.create_patient", "POST"): DESK,
    ("api.get_patient", "GET"): OWNER | DESK,
    ("api.list_patients", "GET"): CLINICIANS | DESK,  # a clinician finds only the patients they treat
    ("api.audit_events", "GET"): ADMIN,
    ("api.create_clinician", "POST"): ADMIN,
    ("api.put_availability", "PUT"): DESK,
    ("api.post_time_off", "POST"): DESK,
    ("api.create_feed", "POST"): frozenset({"clinician", "admin"}),  # Dr. Cleveland's own feed
    ("api.revoke_feeds", "DELETE"): frozenset({"clinician", "admin"}),
    ("api.create_location", "POST"): ADMIN,
    ("api.create_visit_type", "POST"): ADMIN,
    # care as the program gives it: rooms and machines, closures, pathways, clinic days, courses
    ("api.create_resource", "POST"): ADMIN,
    ("api.list_resources", "GET"): CLINICIANS | DESK,
    ("api.get_resource_hours", "GET"): CLINICIANS | DESK,
    ("api.put_resource_hours", "PUT"): DESK,
    ("api.post_resource_time_off", "POST"): DESK,
    ("api.post_closure", "POST"): DESK,
    ("api.create_pathway", "POST"): ADMIN,
    ("api.list_pathways", "GET"): PUBLIC,
    ("api.get_pathway", "GET"): PUBLIC,
    ("api.pathway_options", "GET"): PUBLIC,
    ("api.create_itinerary", "POST"): PATIENTS | DESK,
    ("api.get_itinerary", "GET"): VISIT,
    ("api.itinerary_calendar", "GET"): VISIT,
    ("api.reschedule_itinerary", "POST"): VISIT,
    ("api.cancel_itinerary", "POST"): VISIT,
    ("api.course_options", "GET"): CLINICIANS | DESK,
    ("api.create_course", "POST"): DESK,
    ("api.get_course", "GET"): VISIT,
    ("api.course_calendar", "GET"): VISIT,
    ("api.reschedule_course", "POST"): DESK,
    ("api.cancel_course", "POST"): frozenset({"clinician"}) | DESK,
    # the tumor board: staff see it; "clinician" (Dr. Cleveland) sits on the access world's board, "other_clinician"
    # (Mr. London) does not, so only the first (and admins) record an outcome
    ("api.create_board", "POST"): ADMIN,
    ("api.update_board", "PUT"): ADMIN,
    ("api.list_boards", "GET"): CLINICIANS | DESK,
    ("api.get_board", "GET"): CLINICIANS | DESK,
    ("api.board_sessions", "GET"): CLINICIANS | DESK,
    ("api.add_board_case", "POST"): CLINICIANS | DESK,
    ("api.board_cases", "GET"): CLINICIANS | DESK,
    ("api.get_board_case", "GET"): CLINICIANS | DESK,
    ("api.move_board_case", "POST"): CLINICIANS | DESK,
    ("api.remove_board_case", "POST"): CLINICIANS | DESK,
    ("api.board_case_readiness", "POST"): CLINICIANS | DESK,
    ("api.board_case_outcome", "POST"): frozenset({"clinician", "admin"}),
    ("board.index", "GET"): CLINICIANS | DESK,
    ("board.agenda", "GET"): CLINICIANS | DESK,
    ("board.add_case", "POST"): CLINICIANS | DESK,
    ("board.readiness", "POST"): CLINICIANS | DESK,
    ("board.move", "POST"): CLINICIANS | DESK,
    ("board.remove", "POST"): CLINICIANS | DESK,
    ("board.outcome", "POST"): frozenset({"clinician", "admin"}),
    ("board.to_book", "GET"): DESK,
    # patient pages (the appointment page and its .ics also serve the staff who see the visit)
    ("visits.appointments", "GET"): PATIENTS,
    ("visits.appointment", "GET"): VISIT,
    ("visits.calendar", "GET"): VISIT,
    ("visits.cancel_form", "GET"): OWNER,
    ("visits.cancel", "POST"): OWNER,
    ("visits.earlier", "POST"): OWNER,
    ("visits.stop_earlier", "POST"): OWNER,
    ("visits.reschedule_form", "GET"): OWNER,
    ("visits.reschedule", "POST"): OWNER,
    ("care.search", "GET"): PATIENTS,
    ("care.book", "POST"): PATIENTS,
    ("care.confirm", "GET"): PATIENTS,
    ("care.intake_form", "GET"): PATIENTS,
    ("care.intake_submit", "POST"): PATIENTS,
    ("care.urgent", "GET"): PATIENTS,
    # clinic days a patient books themself, and their own day (the access world's visit is its one step)
    ("days.choose", "GET"): PATIENTS,
    ("days.times", "GET"): PATIENTS,
    ("days.confirm", "GET"): PATIENTS,
    ("days.book", "POST"): PATIENTS,
    ("days.itinerary", "GET"): OWNER,
    ("days.calendar", "GET"): OWNER,
    ("days.cancel_form", "GET"): OWNER,
    ("days.cancel", "POST"): OWNER,
    ("patient.profile", "GET"): PATIENTS,
    ("patient.profile", "POST"): PATIENTS,
    ("waiting.patient_room", "GET"): OWNER,
    ("waiting.patient_urgent", "GET"): OWNER,
    # clinician pages: their own clinic
    ("waiting.clinic", "GET"): CLINICIANS,
    ("clinician.today", "GET"): CLINICIANS,
    ("clinician.week", "GET"): CLINICIANS,
    # one visit (the patient's reason and intake answers), no-show and end visit: its attending clinicians only
    ("clinician.visit", "GET"): frozenset({"clinician"}),
    ("clinician.confirm_no_show", "GET"): frozenset({"clinician"}),
    ("clinician.no_show", "POST"): frozenset({"clinician"}),
    ("clinician.confirm_end_visit", "GET"): frozenset({"clinician"}),
    ("clinician.end_visit", "POST"): frozenset({"clinician"}),
    # a patient's staff record: the desk, and the clinician who treats them (Dr. Cleveland; 404 for the other)
    ("scheduler.patient_record", "GET"): frozenset({"clinician"}) | DESK,
    ("clinician.calendar_link", "GET"): CLINICIANS,
    ("clinician.create_calendar_link", "POST"): CLINICIANS,
    ("clinician.revoke_calendar_links", "POST"): CLINICIANS,
    # signed links and the calendar feed
    ("links.view", "GET"): TOKEN,
    ("links.view_ics", "GET"): TOKEN,
    ("links.confirm", "GET"): TOKEN,
    ("links.confirm", "POST"): TOKEN,
    ("links.cancel", "GET"): TOKEN,
    ("links.cancel", "POST"): TOKEN,
    ("links.reschedule", "GET"): TOKEN,
    ("links.reschedule", "POST"): TOKEN,
    ("links.join", "GET"): TOKEN,
    ("links.offer", "GET"): TOKEN,
    ("links.offer", "POST"): TOKEN,
    ("calendar_feed.feed", "GET"): TOKEN,
    # the FHIR facade (bearer tokens, as the JSON API): the directory and the statement are public; a Patient is
    # read by the staff who see the visit and by themself (a 404 for anyone else); each searches what they may see
    ("fhir.capability_statement", "GET"): PUBLIC,
    ("fhir.read_patient", "GET"): VISIT,
    ("fhir.search_patients", "GET"): SIGNED_IN,
}
for _kind in ("location", "practitioner", "practitioner_role", "healthcare_service", "schedule"):
    MATRIX[(f"fhir.read_{_kind}", "GET")] = PUBLIC
    MATRIX[(f"fhir.search_{_kind}s", "GET")] = PUBLIC
# desk pages: schedulers and admins; admin pages: admins only
for _endpoint, _methods in {
    "scheduler.calendar": "GET",
    "scheduler.calendar_data": "GET",
    "scheduler.move_check": "GET",
    "scheduler.move": "POST",
    "scheduler.appointment": "GET",
    "scheduler.cancel": "POST",
    "scheduler.reschedule": "POST",
    "scheduler.find_patient": "GET",
    "scheduler.book": "GET",
    "scheduler.book_slot": "POST",
    "scheduler.clinicians": "GET",
    "scheduler.availability": "GET",
    "scheduler.save_availability": "POST",
    "scheduler.add_time_off": "POST",
    "scheduler.delete_time_off": "POST",
    "scheduler.register_patient": "POST",
    "scheduler.patients": "GET",
    "scheduler.urgent": "GET",
    "scheduler.resolve_urgent": "POST",
    "scheduler.waitlist_page": "GET",
    "scheduler.leave_waitlist": "POST",
    # clinic days and radiosurgery courses at the desk
    "scheduler.day_options": "GET",
    "scheduler.confirm_day": "GET",
    "scheduler.book_day": "POST",
    "scheduler.itinerary": "GET",
    "scheduler.reschedule_day": "POST",
    "scheduler.cancel_day_form": "GET",
    "scheduler.cancel_day": "POST",
    "scheduler.course_options": "GET",
    "scheduler.book_course": "POST",
    "scheduler.course": "GET",
    "scheduler.reschedule_course": "POST",
    "scheduler.cancel_course_form": "GET",
    "scheduler.cancel_course": "POST",
}.items():
    MATRIX[(_endpoint, _methods)] = DESK
for _endpoint in ("index", "audit_page", "clinicians", "edit_clinician", "new_clinician", "locations"):
    MATRIX[(f"admin.{_endpoint}", "GET")] = ADMIN
for _endpoint in ("edit_location", "new_location", "users_list", "edit_user", "visit_types"):
    MATRIX[(f"admin.{_endpoint}", "GET")] = ADMIN
for _endpoint in ("edit_visit_type", "new_visit_type"):
    MATRIX[(f"admin.{_endpoint}", "GET")] = ADMIN
for _endpoint in ("save_clinician", "save_location", "create_user", "save_user", "save_visit_type"):
    MATRIX[(f"admin.{_endpoint}", "POST")] = ADMIN
# rooms and machines, site closures, pathways
for _endpoint in ("resources_list", "resource", "closures", "pathways_list", "new_pathway"):
    MATRIX[(f"admin.{_endpoint}", "GET")] = ADMIN
for _endpoint in ("create_resource", "save_resource_hours", "resource_out_of_service", "add_closure", "create_pathway"):
    MATRIX[(f"admin.{_endpoint}", "POST")] = ADMIN
# tumor boards
for _endpoint in ("boards_list", "new_board", "edit_board"):
    MATRIX[(f"admin.{_endpoint}", "GET")] = ADMIN
for _endpoint in ("create_board", "save_board"):
    MATRIX[(f"admin.{_endpoint}", "POST")] = ADMIN
# SMART Backend Services: the token endpoint (the signed assertion is the credential) and discovery are public;
# registering and revoking clients is the admin's (tests/integration/test_fhir_backend_services.py)
# Free slots and SMART Scheduling Links' bulk files hold no patient data: public, as GET /api/v1/slots
for _endpoint in ("search_slots", "read_slot", "manifest", "location_file", "schedule_file", "slot_file"):
    MATRIX[(f"fhir.{_endpoint}", "GET")] = PUBLIC
MATRIX[("fhir.token", "POST")] = PUBLIC
MATRIX[("fhir.smart_configuration", "GET")] = PUBLIC
MATRIX[("admin.fhir_clients", "GET")] = ADMIN
for _endpoint in ("register_fhir_client", "revoke_fhir_client"):
    MATRIX[(f"admin.{_endpoint}", "POST")] = ADMIN
# the FHIR facade's appointments (bearer tokens, as the JSON API): the same visibility as /api/v1
MATRIX |= {
    ("fhir.read_appointment", "GET"): VISIT,
    ("fhir.search_appointments", "GET"): SIGNED_IN,  # each sees only their own, as GET /api/v1/appointments
    ("fhir.find_appointments", "GET"): SIGNED_IN,
    ("fhir.find_appointments", "POST"): SIGNED_IN,
    ("fhir.hold_appointment", "POST"): PATIENTS | DESK,  # a patient for themself only
    ("fhir.book_appointment", "POST"): PATIENTS | DESK,
}

# Bodies that pass validation, so a refusal can only come from authorization.
LATER = "2027-03-08T10:00:00-05:00"
BODIES = {
    "api.reschedule_itinerary": {"steps": [{"start": LATER, "clinician_id": 1, "location_id": 1, "mode": "virtual"}]},
    "api.reschedule_course": {"first_start": LATER},
    "api.reschedule_appointment": {"start": LATER},
    "api.cancel_appointment": {"reason": "matrix"},
    "api.add_board_case": {"patient_id": 1, "question": "matrix", "presenter_id": 1},
    "api.move_board_case": {"date": "2027-03-16"},
    "api.board_case_readiness": {"imaging_ready": True},
    "api.board_case_outcome": {"recommendation": "matrix"},
}
QUERIES = {"api.board_sessions": "?from=2027-03-08&to=2027-03-31", "api.board_cases": "?date=2027-03-09"}
FORMS = {
    "visits.reschedule": {"start": LATER},
    "visits.cancel": {},
    "board.outcome": {"recommendation": "matrix"},
    "board.move": {"date": "2027-03-16"},
    "clinician.no_show": {"confirm": "yes"},  # confirmed: refused only for who asks, or for the visit's state (409)
    "clinician.end_visit": {"confirm": "yes"},
}
CLINIC_MORNING = datetime.fromisoformat("2027-03-08T08:45:00-05:00")  # the visit's waiting room is open


@pytest.fixture
def db_url(sqlite_url):
    return sqlite_url


def served(app) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app routes."""
    return {(r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods - IGNORED_METHODS}


def test_every_route_is_in_the_matrix(app):
    assert served(app) - set(MATRIX) == set(), "classify each new route in MATRIX (who may call it)"
    assert set(MATRIX) - served(app) == set(), "MATRIX names routes that no longer exist"


def test_the_completeness_check_catches_a_new_route(app):
    app.add_url_rule("/patients/<int:patient_id>/secrets", "secrets", lambda patient_id: "PHI")
    assert served(app) - set(MATRIX) == {("secrets", "GET")}


def test_dev_pages_absent_in_production(monkeypatch, sqlite_url):
    from config import load_config
    from televisit import create_app

    monkeypatch.setenv("TELEVISIT_SECRET_KEY", "z" * 40)
    monkeypatch.setenv("TELEVISIT_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("TELEVISIT_NOW", raising=False)
    prod = create_app(load_config("production"))
    dev = {key for key, who in MATRIX.items() if who == DEV}
    assert dev and served(prod) & dev == set()


def _denied(resp) -> bool:
    if resp.status_code in (401, 403, 404):
        return True
    return resp.status_code in (301, 302, 303) and "/login" in resp.headers.get("Location", "")


def _call(app, w, rule, method: str, who: str, *, forged: bool = False, environ: dict | None = None):
    path = rule.build(w.url_values(rule, forged=forged), append_unknown=False)[1] + QUERIES.get(rule.endpoint, "")
    db.session.commit()  # no transaction left open in the test (SQLite's write lock)
    with app.app_context():  # a fresh `g` per request, as in production
        if rule.rule.startswith(("/api/", "/fhir/")):
            body = BODIES.get(rule.endpoint, {}) if method != "GET" else None
            headers = w.tokens.get(who, {})
            return app.test_client().open(path, method=method, headers=headers, json=body, environ_base=environ or {})
        user = None if who == "anonymous" else db.session.query(User).filter_by(email=EMAILS[who]).one()
        client = page_client(app, user)
        data = FORMS.get(rule.endpoint) if method != "GET" else None
        return client.open(path, method=method, data=data, environ_base=environ or {})


def _fresh(client):
    db.session.commit()
    _wipe()
    clock.freeze(CLINIC_MORNING)
    return build(client)


def _rules(app):
    return sorted((r for r in app.url_map.iter_rules()), key=lambda r: (r.rule, r.endpoint))


def _cases():
    from tests.conftest import _make_app

    app = _make_app("sqlite://")
    return sorted({(r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods - IGNORED_METHODS})


@pytest.mark.parametrize(("endpoint", "method"), _cases(), ids=lambda v: str(v))
def test_only_the_right_callers_get_through(app, client, endpoint, method):
    expected = MATRIX.get((endpoint, method))
    assert expected is not None, "unclassified route"
    rule = next(r for r in _rules(app) if r.endpoint == endpoint and method in r.methods)
    if expected == SIGNED_WEBHOOK:
        w = _fresh(client)
        assert {who for who in PERSONAS if not _denied(_call(app, w, rule, method, who))} == set()
        return
    if expected == OPERATOR:
        w = _fresh(client)
        for who in PERSONAS:
            assert _denied(_call(app, w, rule, method, who, environ=ELSEWHERE)), who
            assert _call(app, w, rule, method, who).status_code == 200, who  # this machine
        return
    if expected in (PUBLIC, DEV):
        w = _fresh(client)
        for who in PERSONAS:
            assert _call(app, w, rule, method, who).status_code < 500, who
        return
    if expected == TOKEN:
        _check_token_route(app, client, rule, method, endpoint)
        return
    got = set()
    w = _fresh(client)
    for who in PERSONAS:
        if method != "GET":
            w = _fresh(client)  # each caller meets the same state: nobody's change hides a refusal
        resp = _call(app, w, rule, method, who)
        assert resp.status_code < 500, (who, resp.status_code)
        if not _denied(resp):
            got.add(who)
    assert got == set(expected), f"{endpoint} {method}: through {sorted(got)}, expected {sorted(expected)}"


def _check_token_route(app, client, rule, method, endpoint):
    for who in PERSONAS:
        w = _fresh(client)
        forged = _call(app, w, rule, method, who, forged=True)
        assert _denied(forged) or forged.status_code == 400, (who, forged.status_code)
        if endpoint == "links.offer":
            continue  # a valid offer link needs a live waitlist offer: tests/integration/test_waitlist_accept.py
        resp = _call(app, w, rule, method, who)
        assert resp.status_code < 500 and not _denied(resp), (who, resp.status_code)


def test_lists_show_only_what_the_caller_may_see(app, client):
    w = _fresh(client)
    seen = {}
    for who in ("other_patient", "other_clinician", "patient", "clinician", "scheduler"):
        r = client.get("/api/v1/appointments", headers=w.tokens[who])
        seen[who] = w.appt_id in {a["id"] for a in r.json["appointments"]}
        crafted = client.get(f"/api/v1/appointments?patient_id={w.ids['patient_id']}", headers=w.tokens[who])
        assert (w.appt_id in {a["id"] for a in crafted.json.get("appointments", [])}) is seen[
            who
        ] or crafted.status_code >= 400
    assert seen == {
        "other_patient": False,
        "other_clinician": False,
        "patient": True,
        "clinician": True,
        "scheduler": True,
    }


# --- the waiting room's socket events ---------------------------------------------------------------------

SOCKET_DENIALS = {"unauthorized", "forbidden", "not_found"}


def _socket(app, client, token: dict | None):
    from televisit.extensions import socketio

    auth = {"token": token["Authorization"].split()[1]} if token else None
    return socketio.test_client(app, namespace="/waiting-room", auth=auth, flask_test_client=client)


def test_socket_refuses_anonymous_connections(app, client):
    _fresh(client)
    db.session.commit()
    sock = _socket(app, client, None)
    assert not sock.is_connected("/waiting-room")


def _events():
    from televisit.web.realtime import WaitingRoomNamespace

    return sorted(name[3:] for name in dir(WaitingRoomNamespace) if name.startswith("on_") and name[3:] not in SKIP)


SKIP = {"connect", "disconnect"}
ON_VISIT = frozenset({"clinician"})  # the clinician on the visit
SOCKET_MATRIX = {
    "precheck": OWNER,
    "check_in": OWNER,
    "message": OWNER,
    "join_clinic": frozenset({"clinician", "scheduler", "admin"}),  # own list; desk staff name the clinician
    "admit": ON_VISIT,
    "no_show": ON_VISIT,
    "send_message": ON_VISIT,
    "end_visit": ON_VISIT,
    "join_visit": frozenset({"patient", "clinician"}),
    "signal": frozenset({"patient", "clinician"}),
    "running_late": CLINICIANS,  # about themselves only: no visit named
    # the tumor board's video room: its members (Dr. Cleveland), the session's presenters, admins
    "join_board": frozenset({"clinician", "admin"}),
    "board_signal": frozenset({"clinician", "admin"}),
}


def test_every_socket_event_is_in_the_matrix():
    assert set(_events()) == set(SOCKET_MATRIX), "classify each new waiting-room event in SOCKET_MATRIX"


@pytest.mark.parametrize("event", sorted(SOCKET_MATRIX))
def test_only_the_right_callers_act_on_a_visit(app, client, event):
    got = {}
    for who in sorted(SIGNED_IN):
        w = _fresh(client)
        db.session.commit()
        sock = _socket(app, client, w.tokens[who])
        assert sock.is_connected("/waiting-room"), who
        payload = {"appointment_id": w.appt_id, "clinician_id": w.ids["clinician_id"], "minutes": 5, "text": "hi"}
        payload |= {"region": "US-OH", "consent": True, "kind": "offer", "data": {"sdp": "x"}}
        payload |= {"board_id": w.ids["board_id"], "date": w.ids["session_date"]}
        ack = sock.emit(event, payload, namespace="/waiting-room", callback=True)
        sock.disconnect("/waiting-room")
        got[who] = ack
    refused = {
        who for who, ack in got.items() if isinstance(ack, dict) and ack.get("error", {}).get("code") in SOCKET_DENIALS
    }
    assert set(got) - refused == set(SOCKET_MATRIX[event]), got
