"""Property tests through the app (SQLite and PostgreSQL): any input to a parser of user input is answered
with a clean 2xx/4xx, never a 5xx, and what is refused writes nothing.

Twilio webhooks (signed and unsigned random bodies), the API's field parsing (patients, bookings, slot
queries) and the patient sign-up form. Pure parsers are in tests/unit/test_parsers_properties.py.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from televisit.extensions import db
from televisit.models import Appointment, Patient, PhoneState
from tests import factories as f
from tests.conftest import UK_PHONE

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Form values as Twilio or a forger could send them: phone-like, keyword-like, digit-like or anything.
form_text = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A\+?[0-9]{0,20}\Z"),
    st.sampled_from(["STOP", "START", "Y", "YES", "C", "R", "HELP", "stop!", "\x00", "²", "٣", UK_PHONE]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=60, max_size=300),
)
form_keys = st.sampled_from(["From", "To", "Body", "MessageSid", "MessageStatus", "ErrorCode", "AccountSid", "x"])
forms = st.dictionaries(form_keys | st.text(max_size=10), form_text, max_size=7)
queries = st.one_of(st.just(""), st.from_regex(r"\Ao=[0-9²٣\-x]{0,14}\Z"), st.text(max_size=20).map(lambda t: f"o={t}"))
# JSON field values: right and wrong types, shapes near the expected ones, control characters.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _signed_post(m, path: str, query: str, form: dict, *, sign: bool):
    url = m.app.config["PUBLIC_URL"] + path + (f"?{query}" if query else "")
    headers = {}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(m.twilio.auth_token).compute_signature(url, form)
    return m.client.post(path + (f"?{query}" if query else ""), data=form, headers=headers)


def test_twilio_webhooks_answer_any_body_without_a_5xx(messaging, sms):
    """Signed: 200 TwiML (inbound) / 204 (status). Unsigned or wrongly signed: 403. Never a 5xx."""
    sms.book()
    messaging.run_jobs()

    @SETTINGS
    @given(form=forms, query=queries, sign=st.booleans())
    @example(form={"From": UK_PHONE, "Body": "STOP\x00"}, query="", sign=True)
    @example(form={"From": "\x00" + UK_PHONE, "Body": "STOP"}, query="", sign=True)
    @example(form={"From": "+" + "4" * 30, "Body": "START"}, query="", sign=True)
    @example(form={"MessageSid": "SM\x00", "MessageStatus": "delivered", "ErrorCode": "²"}, query="o=1", sign=True)
    @example(form={"MessageStatus": "delivered"}, query="o=²", sign=True)
    def check(form, query, sign):
        inbound = _signed_post(messaging, "/webhooks/twilio/sms", "", form, sign=sign)
        status = _signed_post(messaging, "/webhooks/twilio/status", query, form, sign=sign)
        db.session.rollback()
        if sign:
            assert inbound.status_code == 200 and inbound.mimetype == "text/xml", inbound.status_code
            assert status.status_code == 204, status.status_code
        else:
            assert inbound.status_code == status.status_code == 403

    check()
    for state in db.session.scalars(select(PhoneState)):
        assert state.phone.startswith("+") and state.phone[1:].isdigit()  # only real numbers were recorded


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_patient_fields_get_a_201_or_a_4xx_naming_the_field(client):
    f.program()
    h = f.token(client, "sched@example.org")
    valid = {"name": "Pat Doe", "email": "pd@example.org", "phone": "+12165550123", "timezone": "America/New_York"}
    fields = ["name", "email", "phone", "timezone", "region", "sms_opt_in", "email_opt_in", "date_of_birth", "mrn"]

    @SETTINGS
    @given(field=st.sampled_from(fields), value=json_values, email_id=st.uuids())
    @example(field="email", value="a\x00b@example.org", email_id=None)
    @example(field="name", value="Pat\x00Doe", email_id=None)
    @example(field="phone", value="+١٢١٦٥٥٥٠١٢٣", email_id=None)
    @example(field="timezone", value="Factory", email_id=None)
    @example(field="date_of_birth", value="2999-01-01", email_id=None)
    @example(field="mrn", value="a\x00b", email_id=None)
    def check(field, value, email_id):
        before = _count(Patient)
        body = {**valid, "email": f"{email_id}@example.org" if email_id else "pd@example.org", field: value}
        r = client.post("/api/v1/patients", json=body, headers=h)
        assert r.status_code in (201, 409, 422), (r.status_code, r.json)
        if r.status_code == 422:
            assert field in r.json["error"]["fields"], r.json
            assert _count(Patient) == before
        if r.status_code == 201:
            got = client.get(f"/api/v1/patients/{r.json['id']}", headers=h)
            made = {k: v for k, v in r.json.items() if k != "possible_duplicates"}  # said only when registering
            assert got.status_code == 200 and got.json == made

    check()


def test_booking_fields_get_a_201_409_or_a_422_and_a_refusal_writes_nothing(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    valid = {
        "visit_type_id": p.consult.id,
        "clinician_id": p.us_doc.id,
        "location_id": p.cleveland.id,
        "mode": "in_person",
        "start": "2027-03-08T09:00:00-05:00",
        "patient_id": p.users["other"].patient_id,
    }
    fields = [*valid, "patient_region", "reason"]
    instants = st.from_regex(r"\A20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z)?\Z")

    @SETTINGS
    @given(field=st.sampled_from(fields), value=json_values | instants, tz=st.none() | st.text(max_size=30))
    @example(field="start", value="2027-03-08T10:00:00-05:00", tz=None)
    @example(field="reason", value="back pain\x00", tz=None)
    def check(field, value, tz):
        before = _count(Appointment)
        query = {"tz": tz} if tz is not None else {}
        r = client.post("/api/v1/appointments", json={**valid, field: value}, query_string=query, headers=h)
        assert r.status_code in (201, 409, 422), (r.status_code, r.json)
        assert _count(Appointment) == before + (r.status_code == 201)

    check()


def test_slot_queries_get_a_200_or_a_422(client):
    p = f.program()
    names = ["visit_type_id", "from", "to", "tz", "location_id", "clinician_id", "mode", "patient_region", "limit"]
    values = st.one_of(
        st.text(max_size=25),
        st.integers(-5, 10**12).map(str),
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from(["2027-03-08", "America/New_York", "virtual", "US-OH", str(p.consult.id), "1", "0"]),
    )

    @SETTINGS
    @given(query=st.dictionaries(st.sampled_from(names), values, max_size=9))
    @example(query={"visit_type_id": str(p.consult.id), "from": "2027-03-08", "to": "2027-03-09"})
    @example(query={"visit_type_id": "1", "from": "0001-01-01", "to": "9999-12-31"})
    def check(query):
        r = client.get("/api/v1/slots", query_string=query)
        assert r.status_code in (200, 422), (r.status_code, r.json)

    check()


def test_the_signup_form_answers_any_input_with_a_redirect_or_its_form(client):
    """The patient sign-up page (televisit/domain/patient_input.py): 302 on success, else 422 with the form."""
    f.program()
    # Dozens of sign-ups from one client: lift the sign-up throttle (tests/integration/test_hardening_accounts.py).
    client.application.config.update(ACCOUNT_EMAIL_RATE_LIMIT="1000/hour", ACCOUNT_CLIENT_RATE_LIMIT="1000/hour")
    keys = ["name", "email", "password", "timezone", "region", "phone", "sms_opt_in", "email_opt_in"]
    good = {
        "name": "Pat Doe",
        "email": "new@example.org",
        "password": "correct-horse-battery",
        "timezone": "Europe/London",
        "region": "GB",
        "email_opt_in": "on",
    }

    @SETTINGS
    @given(changes=st.dictionaries(st.sampled_from(keys), form_text, max_size=4), email_id=st.uuids())
    @example(changes={"name": "Pat\x00Doe"}, email_id=None)
    @example(changes={"email": "a\x00b@example.org"}, email_id=None)
    @example(changes={"phone": "+44 7700 900123", "sms_opt_in": "on"}, email_id=None)
    def check(changes, email_id):
        with client.session_transaction() as s:
            s.clear()  # signed out, as a new visitor
        form = {**good, "email": f"{email_id}@example.org" if email_id else good["email"], **changes}
        r = client.post("/signup", data=form)
        db.session.rollback()
        assert r.status_code in (302, 422), r.status_code

    check()
