"""Issue 12, items 8, 13 and 14: URL secrets stay out of the logs; development keeps its secret and keeps the dev
outbox to this machine; no silent second patient record; a correct message for control characters; a signed link
naming an id past 64 bits is a 404. Each through the real path, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from werkzeug.serving import make_server

from config import ConfigError, load_config
from televisit import clock, create_app
from televisit.extensions import db
from televisit.models import Patient
from televisit.services.messaging import links
from tests import factories as f
from tests.support.desk_world import page, sign_in
from tests.support.link_world import book
from tests.support.live_server import ROOT, free_port

VISIT = "2027-03-08T09:00:00-05:00"


# --- 8. secrets in logs ------------------------------------------------------------------------------------


def _token(path: str) -> str:
    return path.split("/")[3]


def _secret_paths(client, app) -> tuple[dict[str, str], list[str]]:
    """A booked video visit's real link paths and a real calendar feed path; and every secret in them."""
    p = f.program()
    booked = book(app, client, p, "other", VISIT, mode="virtual")
    feed = client.post(f"/api/v1/clinicians/{p.us_doc.id}/calendar-feed", headers=f.token(client, "cle@example.org"))
    assert feed.status_code == 201, feed.json
    paths = dict(booked.links)
    paths["ics"] = booked.links["view"] + "/calendar.ics"
    paths["feed"] = feed.json["url"].removeprefix(app.config["PUBLIC_URL"])
    paths["room"] = f"/waiting-room/{booked.appointment_id}?join={_token(booked.links['join'])}"
    secrets = [
        _token(booked.links[k]) for k in ("view", "cancel", "reschedule", "join", "confirm") if k in booked.links
    ]
    secrets.append(paths["feed"].removeprefix("/calendar/").removesuffix(".ics"))
    assert {"view", "cancel", "reschedule", "join"} <= set(booked.links) and all(len(s) > 20 for s in secrets)
    return paths, secrets


SHAPES = ("/l/view/… HTTP", "/l/cancel/… HTTP", "/l/reschedule/… HTTP", "/l/join/… HTTP", "/l/view/…/calendar.ics")
FEED_SHAPE = "/calendar/….ics HTTP"


def _assert_masked(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a URL secret reached the log: …{secret[-12:]}"
    for shape in (*SHAPES, FEED_SHAPE):
        assert shape in text, (shape, text[-3000:])


@contextlib.contextmanager
def _served(app):
    """The app on a real Werkzeug server (what `flask --app wsgi serve` runs in development)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_the_development_access_log_masks_link_join_and_feed_tokens(app, client, caplog):
    paths, secrets = _secret_paths(client, app)
    db.session.commit()
    caplog.set_level(logging.INFO, logger="werkzeug")
    with _served(app) as url:
        for name, path in paths.items():
            r = requests.get(url + path, headers={"Referer": url + paths["cancel"]}, allow_redirects=False, timeout=10)
            assert r.status_code < 500, (name, r.status_code)
    access = [r for r in caplog.records if r.name == "werkzeug"]
    assert len(access) >= len(paths)
    text = caplog.text + "".join(repr(r.args) + str(r.msg) for r in access)
    _assert_masked(text, secrets)
    assert f"/waiting-room/{paths['room'].split('/')[2].split('?')[0]} HTTP" in text  # the join query is dropped


def test_an_error_on_a_link_page_logs_the_path_masked_with_its_traceback(app, client, caplog, monkeypatch):
    from flask import request

    from televisit.web.patient import links as link_pages

    paths, secrets = _secret_paths(client, app)

    def broken(*args, **kwargs):
        raise RuntimeError(f"the page broke on {request.path}")

    monkeypatch.setattr(link_pages, "_page", broken)
    caplog.set_level(logging.INFO)
    for purpose in ("view", "cancel"):
        r = client.get(paths[purpose])
        assert r.status_code == 500 and secrets[0] not in r.get_data(as_text=True)
    errors = [r for r in caplog.records if r.name == "televisit.web.errors"]
    assert len(errors) == 2 and all(r.exc_info for r in errors)
    text = caplog.text
    assert "unhandled error on GET /l/view/…" in text and "RuntimeError: the page broke on /l/cancel/…" in text
    assert "Traceback (most recent call last)" in text
    for secret in secrets:
        assert secret not in text


def _gunicorn(db_url: str, port: int, log: Path) -> subprocess.Popen:
    """The documented production command: gunicorn with config/gunicorn.py, production settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEVISIT_", "TWILIO_", "SMTP_", "FLASK_"))}
    env |= {
        "TELEVISIT_ENV": "production",
        "TELEVISIT_SECRET_KEY": "production-test-secret-0123456789abcdef",
        "TELEVISIT_DATABASE_URL": db_url,
        "TELEVISIT_PUBLIC_URL": "http://televisit.test",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "-c", "config/gunicorn.py", "-w", "1", "-k", "sync", "-b", f"127.0.0.1:{port}"]
    cmd += ["--no-control-socket", "wsgi:app"]
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


def test_the_production_access_log_masks_them_too(app, client, db_url, tmp_path):
    paths, secrets = _secret_paths(client, app)
    secret = "production-test-secret-0123456789abcdef"
    appt_id = int(paths["room"].split("/")[2].split("?")[0])
    later = clock.now() + timedelta(days=30)
    for purpose in ("view", "cancel", "reschedule", "join"):  # links of the production server's own secret
        paths[purpose] = f"/l/{purpose}/{links.sign(secret, purpose, appt_id, 0, later)}"
        secrets.append(_token(paths[purpose]))
    paths["ics"] = paths["view"] + "/calendar.ics"
    db.session.commit()
    port, log = free_port(), tmp_path / "gunicorn.log"
    proc = _gunicorn(db_url, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, proc, log)
        for name, path in paths.items():
            r = requests.get(url + path, headers={"Referer": url + paths["join"]}, allow_redirects=False, timeout=10)
            assert r.status_code < 500, (name, r.status_code)
        time.sleep(0.5)  # the access line is written after the response
    finally:
        proc.terminate()
        proc.wait(15)
    text = log.read_text()
    assert text.count('"GET /l/') >= 4, text
    _assert_masked(text, secrets)
    assert f'"http://127.0.0.1:{port}/l/join/…"' in text  # the referer atom is masked as well


# --- 13. development defaults ------------------------------------------------------------------------------


def _dev_app(monkeypatch, db_url: str, secret_file: Path):
    monkeypatch.setenv("TELEVISIT_ENV", "development")
    monkeypatch.setenv("TELEVISIT_DATABASE_URL", db_url)
    monkeypatch.setenv("TELEVISIT_SECRET_KEY_FILE", str(secret_file))
    monkeypatch.setenv("TELEVISIT_PUBLIC_URL", "http://televisit.test")
    for name in ("TELEVISIT_SECRET_KEY", "TELEVISIT_NOW", "FLASK_DEBUG", "TWILIO_ACCOUNT_SID", "SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return create_app()


def _form_sign_in(client, email: str) -> None:
    """Sign in through the page, CSRF token and all (development checks it)."""
    html = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"email": email, "password": f.PASSWORD, "csrf_token": csrf})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def _dispose(*apps) -> None:
    for each in apps:
        with each.app_context():
            db.engine.dispose()


def test_development_keeps_its_secret_across_restarts(app, client, monkeypatch, db_url, tmp_path):
    booked = book(app, client, f.program(), "other", VISIT)  # links signed by this test app's secret
    db.session.commit()
    secret_file = tmp_path / "instance" / "secret_key"
    first = _dev_app(monkeypatch, db_url, secret_file)
    assert secret_file.exists() and stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    browser = first.test_client()
    _form_sign_in(browser, "other@example.org")
    assert browser.get("/appointments").status_code == 200
    cookie = browser.get_cookie("session").value
    link = links.sign(first.config["SECRET_KEY"], "view", booked.appointment_id, 0, clock.now() + timedelta(days=30))
    assert browser.get(f"/l/view/{link}").status_code == 200

    second = _dev_app(monkeypatch, db_url, secret_file)  # `make run` again
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"] != app.config["SECRET_KEY"]
    again = second.test_client()
    again.set_cookie("session", cookie)
    r = again.get("/appointments")
    assert r.status_code == 200 and "Sign out" in r.get_data(as_text=True)  # still signed in
    assert again.get(f"/l/view/{link}").status_code == 200  # the link sent before the restart still works
    _dispose(first, second)

    monkeypatch.setenv("TELEVISIT_ENV", "production")  # production never reads the file: it wants the variable
    with pytest.raises(ConfigError, match="TELEVISIT_SECRET_KEY"):
        load_config()
    monkeypatch.setenv("TELEVISIT_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="TELEVISIT_SECRET_KEY"):
        load_config()


def test_a_random_secret_before_this_change_would_have_signed_everyone_out(monkeypatch, tmp_path):
    """Two starts with the file removed in between get different secrets (the file is what keeps it)."""
    monkeypatch.delenv("TELEVISIT_SECRET_KEY", raising=False)
    secret_file = tmp_path / "secret_key"
    monkeypatch.setenv("TELEVISIT_SECRET_KEY_FILE", str(secret_file))
    first = load_config("development").SECRET_KEY
    second = load_config("development").SECRET_KEY
    assert second == first and len(first) >= 32
    secret_file.unlink()
    third = load_config("development").SECRET_KEY
    assert third != first
    assert load_config("test").SECRET_KEY != load_config("test").SECRET_KEY  # tests share nothing through a file


def test_the_dev_outbox_answers_only_this_machine_in_development(app, client, monkeypatch, db_url, tmp_path):
    book(app, client, f.program(), "other", VISIT)
    db.session.commit()
    assert client.get("/dev/outbox").status_code == 404  # the test config: off unless a test turns it on
    dev = _dev_app(monkeypatch, db_url, tmp_path / "secret_key")
    local = dev.test_client()
    r = local.get("/dev/outbox")
    assert r.status_code == 200 and "other@example.org" in r.get_data(as_text=True)
    assert dev.test_client().get("/dev/outbox", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    for remote in ("192.168.1.20", "10.0.0.7", "2001:db8::1", "203.0.113.9"):
        r = dev.test_client().get("/dev/outbox", environ_base={"REMOTE_ADDR": remote})
        assert r.status_code == 404 and "other@example.org" not in r.get_data(as_text=True), remote
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        r = local.get("/dev/outbox", headers={header: "127.0.0.1"})  # a proxy on this machine relaying a visitor
        assert r.status_code == 404, header
    assert local.get("/dev/outbox/1.ics", environ_base={"REMOTE_ADDR": "192.168.1.20"}).status_code == 404
    _dispose(dev)


# --- 14. smaller --------------------------------------------------------------------------------------------


def _patients() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Patient))


def test_a_second_patient_with_an_existing_email_is_refused_naming_the_first(client):
    p = f.program()
    existing = p.users["other"].patient_id
    h = f.token(client, "sched@example.org")
    body = {
        "name": "Other Again",
        "email": "Other@Example.org",
        "phone": "+12165550111",
        "timezone": "America/New_York",
    }
    before = _patients()
    r = client.post("/api/v1/patients", json=body, headers=h)
    assert r.status_code == 409, r.json
    error = r.json["error"]
    assert error["code"] == "duplicate_patient" and error["patient_id"] == existing
    assert f"patient #{existing}" in error["message"] and "email" in error["fields"]
    assert _patients() == before
    fresh = client.post("/api/v1/patients", json=body | {"email": "someone.new@example.org"}, headers=h)
    assert fresh.status_code == 201 and _patients() == before + 1


def test_the_desk_offers_the_existing_record_instead_of_a_second_one(client):
    p = f.program()
    existing = p.users["other"].patient_id
    sign_in(client, "scheduler")
    before = _patients()
    form = {"name": "Oth Er", "email": "other@example.org", "phone": "+12165550111", "timezone": "America/New_York"}
    html = page(client.post("/schedule/patients", data=form), 409)
    assert "The patient was not registered" in html and "already registered" in html
    assert f'href="/schedule/book/{existing}"' in html and "Use this record" in html
    assert _patients() == before


CONTROL = "must not contain control characters"


@pytest.mark.parametrize("name", ["Pat\x00Doe", "Pat\x1bDoe", "Pat\u202eeoD", "Pat\nDoe", "Pat\x7fDoe"])
def test_control_characters_get_their_own_message_not_a_length_one(client, name):
    f.program()
    h = f.token(client, "sched@example.org")
    body = {"name": name, "email": "pd@example.org", "phone": "+12165550123", "timezone": "America/New_York"}
    r = client.post("/api/v1/patients", json=body, headers=h)
    assert r.status_code == 422 and r.json["error"]["fields"] == {"name": CONTROL}
    long = client.post("/api/v1/patients", json=body | {"name": "x" * 121}, headers=h)
    assert long.json["error"]["fields"] == {"name": "at most 120 characters"}
    site = {"name": name, "city": "Akron", "region": "US-OH", "country": "US", "timezone": "America/New_York"}
    r = client.post("/api/v1/locations", json=site, headers=f.token(client, "admin@example.org"))
    assert r.status_code == 422 and r.json["error"]["fields"]["name"] == CONTROL


def test_control_characters_on_the_pages_say_so_too(app, client):
    f.program()
    form = {"name": "Pat\x00Doe", "email": "pd@example.org", "password": "a long passphrase here"}
    form |= {"timezone": "America/New_York", "region": "US-OH"}
    html = page(client.post("/signup", data=form), 422)
    assert "Your name must not contain control characters." in html and "up to 120 characters" not in html
    sign_in(client, "scheduler")
    desk = {"name": "Pat\x00Doe", "email": "pd@example.org", "phone": "+12165550123", "timezone": "America/New_York"}
    html = page(client.post("/schedule/patients", data=desk), 422)
    assert CONTROL in html and "at most 120" not in html


def test_a_reason_keeps_its_line_breaks_but_not_other_controls(client):
    p = f.program()
    h = f.token(client, "sched@example.org")
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "in_person", "start": VISIT, "patient_id": p.users["other"].patient_id}
    r = client.post("/api/v1/appointments", json=body | {"reason": "Back pain\x00"}, headers=h)
    assert r.status_code == 422 and r.json["error"]["fields"] == {"reason": CONTROL}
    r = client.post("/api/v1/appointments", json=body | {"reason": "Back pain\n\tsince May"}, headers=h)
    assert r.status_code == 201 and r.json["reason"] == "Back pain\n\tsince May"


@pytest.mark.parametrize("purpose", ["view", "confirm", "reschedule", "cancel", "join", "offer"])
def test_a_link_naming_an_id_past_64_bits_is_a_404(app, client, caplog, purpose):
    booked = book(app, client, f.program(), "other", VISIT, mode="virtual")
    secret, later = app.config["SECRET_KEY"], clock.now() + timedelta(days=30)
    appt = booked.appt
    tokens = [links.sign(secret, purpose, 2**70, 0, later, offer_id=1 if purpose == "offer" else None)]
    tokens.append(links.sign(secret, purpose, appt.id, 2**70, later))
    if purpose == "offer":
        tokens.append(links.sign(secret, purpose, appt.id, appt.sequence, later, offer_id=2**70))
    forged = URLSafeSerializer(secret, salt=f"televisit-link:{purpose}")
    tokens.append(forged.dumps({"a": appt.id, "s": appt.sequence, "e": 2**70}))  # an expiry no date can hold
    caplog.set_level(logging.WARNING)
    for token in tokens:
        for method in ("get", "post"):
            r = getattr(client, method)(f"/l/{purpose}/{token}")
            assert r.status_code in (404, 405), (method, r.status_code)
            if r.status_code == 404:
                assert "This link is not valid." in page(r, 404)
    r = client.get(f"/waiting-room/{appt.id}?join={links.sign(secret, 'join', 2**70, 0, later)}")
    assert r.status_code == 404
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback


def test_a_join_link_past_64_bits_is_refused_on_the_socket(app, client, caplog):
    from televisit.extensions import socketio

    book(app, client, f.program(), "other", VISIT, mode="virtual")
    token = links.sign(app.config["SECRET_KEY"], "join", 2**70, 0, clock.now() + timedelta(days=30))
    db.session.commit()
    sock = socketio.test_client(app, namespace="/waiting-room", auth={"join": token}, flask_test_client=client)
    assert not sock.is_connected("/waiting-room")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # refused as not found, not a failure
