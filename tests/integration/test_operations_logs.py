"""TELEVISIT_LOG_FORMAT=json (issue 17, "Observe"): one JSON object per line from the production server and the jobs
process; each request's line carries its request id, route, status and duration; no patient's name, email or phone,
no password and no token reaches any line, through the real path (gunicorn with config/gunicorn.py, `flask jobs
run-once`), on SQLite and PostgreSQL. The sockets' lines are in test_operations_sockets.py.
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from datetime import timedelta
from urllib.parse import quote_plus

import pytest
import requests

from televisit import logs
from televisit.extensions import db
from televisit.services.messaging import links
from televisit.web import log_masking
from tests import factories as f
from tests.conftest import NOW, _make_app
from tests.support.gunicorn_server import SECRET, Gunicorn
from tests.support.live_server import ROOT, fresh_database

NAME, PHONE, NATIONAL = "Ada Lovelace-Byron", "+447700900123", "07700 900123"
NEW_NAME, NEW_EMAIL, NEW_PHONE = "Grace Hopperton", "grace.hopperton@example.net", "07700 900456"
REASON = "Numbness in my left leg since March"
JSON_ENV = {"TELEVISIT_LOG_FORMAT": "json"}


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request):
    """A fresh database with the test program; the London patient has a name, phone and email to look for."""
    with fresh_database(request.param) as url:
        app = _make_app(url)
        with app.app_context():
            p = f.program()
            patient = p.users["patient"].patient
            patient.name, patient.phone = NAME, PHONE
            db.session.commit()
            ids = {"patient": patient.id, "consult": p.consult.id, "doc": p.uk_doc.id, "site": p.london.id}
            db.session.remove()
            db.engine.dispose()
        yield url, ids


def _token(server: Gunicorn, email: str) -> str:
    r = requests.post(f"{server.url}/api/v1/auth/token", json={"email": email, "password": f.PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _signed_in_page(server: Gunicorn, email: str) -> requests.Session:
    s = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{server.url}/login", timeout=10).text).group(1)
    form = {"email": email, "password": f.PASSWORD, "csrf_token": csrf}
    assert s.post(f"{server.url}/login", data=form, allow_redirects=False, timeout=10).status_code == 302
    s.headers["X-CSRFToken"] = csrf
    return s


def _visit(server: Gunicorn, ids: dict) -> tuple[list[str], str]:
    """Sign in, book, read, open a link and a feed, search and register patients; the secrets these carried, and
    the request id one request sent."""
    patient, clinician, desk = (
        _token(server, e) for e in ("pat@example.org", "admin@example.org", "sched@example.org")
    )
    body = {"visit_type_id": ids["consult"], "clinician_id": ids["doc"], "location_id": ids["site"]}
    body |= {"mode": "virtual", "start": "2027-03-08T09:00:00+00:00", "patient_region": "GB", "reason": REASON}
    api = f"{server.url}/api/v1"
    booked = requests.post(f"{api}/appointments", json=body, headers={"Authorization": f"Bearer {patient}"}, timeout=10)
    assert booked.status_code == 201, booked.text
    appt = booked.json()["id"]
    assert requests.get(f"{api}/appointments/{appt}", headers={"Authorization": f"Bearer {patient}"}, timeout=10).ok
    assert requests.get(f"{api}/patients/{ids['patient']}", headers={"Authorization": f"Bearer {desk}"}, timeout=10).ok
    link = links.sign(SECRET, "view", appt, 0, NOW + timedelta(days=30))
    assert requests.get(f"{server.url}/l/view/{link}", timeout=10).status_code == 200
    feed = requests.post(
        f"{api}/clinicians/{ids['doc']}/calendar-feed", headers={"Authorization": f"Bearer {clinician}"}, timeout=10
    ).json()["url"]
    assert requests.get(feed, timeout=10).status_code == 200
    page = _signed_in_page(server, "sched@example.org")
    assert page.get(f"{server.url}/schedule/book", params={"q": NAME}, timeout=10).status_code == 200
    new = {"name": NEW_NAME, "email": NEW_EMAIL, "phone": NEW_PHONE, "region": "GB", "timezone": "Europe/London"}
    assert page.post(f"{server.url}/schedule/patients", data=new, timeout=10).status_code < 500
    r = requests.get(f"{server.url}/healthz", headers={"X-Request-ID": "lb-probe-4242"}, timeout=10)
    assert r.headers["X-Request-ID"] == "lb-probe-4242"
    feed_token = feed.rsplit("/", 1)[1].removesuffix(".ics")
    return [patient, clinician, desk, link, feed_token, f.PASSWORD], "lb-probe-4242"


def _leaks(text: str, secrets: list[str]) -> list[str]:
    phi = [NAME, "pat@example.org", PHONE, NATIONAL, "7700900123", REASON, NEW_NAME, NEW_EMAIL, NEW_PHONE]
    lowered = text.lower()
    return [s[:12] for s in [*phi, *secrets] if s.lower() in lowered]


def _json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "the server wrote nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not one JSON object: {line[:200]!r}")
    return parsed


def test_json_lines_carry_the_request_and_no_patient_data_or_secret(seeded):
    url, ids = seeded
    with Gunicorn(url, workers=2, extra_env=JSON_ENV, now=NOW.isoformat()) as server:
        secrets, given = _visit(server, ids)
    text = server.output()
    parsed = _json_lines(text)
    requests_logged = [line for line in parsed if line.get("logger") == "televisit.request"]
    assert len(requests_logged) >= 14, len(requests_logged)
    for line in requests_logged:
        assert {"request_id", "route", "endpoint", "method", "status", "duration_ms", "time", "level"} <= set(line)
        assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", line["request_id"]) and line["duration_ms"] >= 0
    routes = {(line["method"], line["route"], line["status"]) for line in requests_logged}
    assert ("POST", "/api/v1/appointments", 201) in routes
    assert ("GET", "/l/view/<token>", 200) in routes  # the rule, never the path with its token
    assert ("GET", "/calendar/<token>.ics", 200) in routes
    assert ("GET", "/schedule/book", 200) in routes
    assert next(line for line in requests_logged if line["request_id"] == given)["route"] == "/healthz"
    assert len({line["request_id"] for line in requests_logged}) == len(requests_logged)  # one id each
    assert any(line.get("logger", "").startswith("gunicorn") for line in parsed)  # gunicorn's own lines too
    assert not [line for line in parsed if line.get("logger") == "gunicorn.access"]  # one line per request: ours
    assert _leaks(text, secrets) == []

    env = server.env | {"TELEVISIT_NOW": (NOW + timedelta(minutes=1)).isoformat()}
    jobs = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert jobs.returncode == 0, jobs.stderr
    job_lines = _json_lines(jobs.stderr)
    ran = [line for line in job_lines if line.get("job")]
    assert {line["job"] for line in ran} >= {"dispatch_outbox"}, job_lines  # it sent the confirmation
    assert all(line["request_id"].startswith("job-") for line in ran)
    assert _leaks(jobs.stderr + jobs.stdout, secrets) == []


def test_the_json_formatter_writes_the_masked_traceback_not_a_fresh_one():
    log_masking.register_rules(["/l/<purpose>/<token>"])
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(log_masking.MaskSecrets())
    handler.addFilter(logs.WorkContext())
    logger = logging.getLogger("televisit.tests.json")
    logger.addHandler(handler)
    token = "eyJhIjo0MiwicyI6MCwiZSI6MTc5OTk5OTk5OX0.secret-signature-part"
    try:
        with logs.bound("req-1"):
            try:
                raise RuntimeError(f"could not render /l/view/{token}")
            except RuntimeError:
                logger.exception("failed on /l/view/%s?q=%s", token, quote_plus(NAME))
    finally:
        logger.removeHandler(handler)
    line = json.loads(out.getvalue())
    assert line["request_id"] == "req-1" and line["level"] == "ERROR"
    assert line["message"] == "failed on /l/view/…"
    assert "could not render /l/view/…" in line["exc_info"]
    assert token not in out.getvalue() and quote_plus(NAME) not in out.getvalue()
