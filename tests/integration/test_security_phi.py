"""Patient data never in logs, SMS bodies, link query strings or error pages; production refuses unsafe settings."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from televisit.extensions import db
from tests import factories as f

REASON = "Numbness in my left leg since March"
TEST_SERVERS = ("mail.", "tests.")  # the test's own SMTP server (aiosmtpd) and fake Twilio log what they receive


def _phi(patient) -> list[str]:
    return [patient.name, patient.email, patient.phone, REASON]


def _clean(text: str, patient) -> list[str]:
    return [item for item in _phi(patient) if item and item.lower() in text.lower()]


def test_booking_and_messaging_log_no_patient_data(sms, caplog):
    caplog.set_level(logging.DEBUG)
    patient = sms.p.users["patient"].patient
    patient.name = "Ada Lovelace-Byron"
    db.session.commit()
    appt = sms.book(reason=REASON)
    sms.m.run_jobs()
    sms.act(appt["id"], "cancel", {"reason": "feeling better"})
    sms.m.run_jobs()
    assert caplog.records, "the run logged something to inspect"
    ours = [r for r in caplog.records if not r.name.startswith(TEST_SERVERS)]
    leaks = [r for r in ours if _clean(f"{r.getMessage()} {r.exc_text or ''}", patient)]
    assert leaks == [], [(r.name, r.getMessage()[:300]) for r in leaks]
    bodies = [m["body"] for m in sms.m.twilio.messages] + [row.body_text or "" for row in sms.rows(channel="sms")]
    assert bodies, "SMS were sent"
    for body in bodies:
        assert _clean(body, patient) == [], body
        for url in re.findall(r"https?://\S+", body):
            query = parse_qs(urlsplit(url).query)
            assert _clean(" ".join(v for vs in query.values() for v in vs), patient) == [], url


def test_a_crash_logs_no_patient_data_and_the_page_shows_none(client, caplog, monkeypatch):
    from televisit.services.booking import appointments as booking

    p = f.program()
    patient = p.users["patient"].patient
    patient.phone, patient.name = "+447700900123", "Grace Hopperton"
    db.session.commit()
    headers = f.token(client, "pat@example.org")

    def explode(*args, **kwargs):
        # A real database error whose statement carries the patient's details (a duplicate key).
        insert = "INSERT INTO patients (id, name, email, timezone, created_at) VALUES (:id, :name, :email, 'UTC', :at)"
        db.session.execute(
            db.text(insert), {"id": patient.id, "name": patient.name, "email": patient.email, "at": "2027-01-01"}
        )

    monkeypatch.setattr(booking, "list_visible", explode)
    caplog.set_level(logging.DEBUG)
    r = client.get("/api/v1/appointments", headers=headers)
    assert r.status_code == 500
    logged = "\n".join(f"{rec.getMessage()} {rec.exc_text or ''}" for rec in caplog.records)
    assert "INSERT INTO patients" in logged  # the error itself is logged...
    assert patient.email not in logged and patient.name not in logged  # ...without the patient's data
    assert patient.email not in r.get_data(as_text=True)


def test_error_pages_show_no_patient_data(client):
    p = f.program()
    owner = p.users["patient"].patient
    owner.name = "Grace Hopperton"
    db.session.commit()
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "in_person", "start": "2027-03-08T09:00:00-05:00", "reason": REASON}
    appt = client.post("/api/v1/appointments", json=body, headers=f.token(client, "pat@example.org")).json
    client.post("/login", data={"email": "other@example.org", "password": f.PASSWORD})
    for path in (f"/appointments/{appt['id']}", f"/appointments/{appt['id']}/reschedule", "/schedule", "/admin/audit"):
        r = client.get(path)
        assert r.status_code in (403, 404), path
        assert _clean(r.get_data(as_text=True), owner) == [], path
    api = client.get(f"/api/v1/appointments/{appt['id']}", headers=f.token(client, "other@example.org"))
    assert api.status_code == 404 and _clean(api.get_data(as_text=True), owner) == []


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"TELEVISIT_SECRET_KEY": ""}, "TELEVISIT_SECRET_KEY"),
        ({"TELEVISIT_SECRET_KEY": "short"}, "TELEVISIT_SECRET_KEY"),
        ({"TELEVISIT_NOW": "2027-03-01T12:00:00+00:00"}, "TELEVISIT_NOW"),
        ({"FLASK_DEBUG": "1"}, "debug"),
    ],
)
def test_production_refuses_unsafe_settings(monkeypatch, env, problem):
    from config import ConfigError, load_config

    monkeypatch.setenv("TELEVISIT_SECRET_KEY", "s" * 40)
    monkeypatch.delenv("TELEVISIT_NOW", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=problem):
        load_config("production")


def test_production_starts_with_safe_settings(monkeypatch):
    from config import load_config

    monkeypatch.setenv("TELEVISIT_SECRET_KEY", "s" * 40)
    monkeypatch.delenv("TELEVISIT_NOW", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert load_config("production").ENV_NAME == "production"


def test_access_logs_drop_query_strings(app):
    from televisit.web.security import DropQueryStrings

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s %s', None, None)
    record.args = ("127.0.0.1", "now", "GET /schedule/book?q=Grace+Hopperton HTTP/1.1", "200", "-")
    assert DropQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1 - - [now] "GET /schedule/book HTTP/1.1" 200 -'
    assert any(isinstance(flt, DropQueryStrings) for flt in logging.getLogger("werkzeug").filters)
