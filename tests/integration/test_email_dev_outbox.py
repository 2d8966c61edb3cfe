"""The dev outbox (no Twilio, no SMTP): every SMS and email readable at /dev/outbox, invitations downloadable."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from config import ConfigError
from televisit import create_app
from televisit.extensions import db
from televisit.models import OutboxMessage
from tests import factories as f
from tests.support.ical_readers import icaljs_read, iso_z, vobject_calendar, vobject_read
from tests.support.link_world import book

PHONE = "+12165550123"
EMPTY = "No messages yet. Book an appointment and they will appear here."


@pytest.fixture
def app(app):
    """The dev outbox is off in the test config: these tests read it, so they turn it on."""
    app.config["DEV_OUTBOX"] = True
    return app


def _rows(**where) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)))


def _page(client, query: str = "") -> str:
    r = client.get(f"/dev/outbox{query}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    return r.get_data(as_text=True)


def _booked(app, client):
    p = f.program()
    p.users["other"].patient.phone = PHONE
    db.session.commit()
    return book(app, client, p, "other", "2027-03-08T09:00:00-05:00")  # runs the jobs


def test_empty_outbox_says_so(client):
    assert not client.application.config.get("TWILIO_ACCOUNT_SID") and not client.application.config.get("SMTP_HOST")
    page = _page(client)
    assert EMPTY in page and "<table" not in page


def test_sent_sms_and_email_are_listed_with_their_bodies(app, client):
    b = _booked(app, client)
    (sms,) = _rows(channel="sms", rule="confirmation")
    (email,) = _rows(channel="email", rule="confirmation")
    assert sms.status == email.status == "sent"
    assert sms.to_address == PHONE and email.to_address == "other@example.org"
    assert "Mon, Mar 8, 2027, 9:00 AM EST" in sms.body_text and "/l/view/" in sms.body_text
    page = _page(client)
    assert EMPTY not in page
    assert str(escape(sms.body_text)) in page
    assert str(escape(email.subject)) in page and str(escape(email.body_text)) in page
    assert f"<td>{PHONE}</td>" in page and "<td>other@example.org</td>" in page
    assert page.count("<td>SMS</td>") >= 1 and page.count("<td>EMAIL</td>") >= 1
    reminders = _rows(appointment_id=b.appointment_id, status="pending")
    assert {r.rule for r in reminders} == {"48h", "2h"}  # planned, not due yet: listed, bodies written when sent
    assert "written when sent" in page and "<td>48h</td>" in page


@pytest.mark.parametrize(
    ("channel", "shown", "hidden"),
    [("sms", "<td>SMS</td>", "<td>EMAIL</td>"), ("email", "<td>EMAIL</td>", "<td>SMS</td>")],
)
def test_the_outbox_filters_by_channel(app, client, channel, shown, hidden):
    _booked(app, client)
    page = _page(client, f"?channel={channel}")
    assert shown in page and hidden not in page
    assert "<td>SMS</td>" in _page(client, "?channel=fax") and "<td>EMAIL</td>" in _page(client, "?channel=fax")


def test_the_invitation_of_an_email_downloads(app, client):
    b = _booked(app, client)
    (email,) = _rows(channel="email", rule="confirmation")
    page = _page(client)
    link = f"/dev/outbox/{email.id}.ics"
    assert f'href="{link}"' in page
    assert len(re.findall(r'href="/dev/outbox/\d+\.ics"', page)) == 1  # only the email has one
    r = client.get(link)
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert r.headers["Content-Disposition"] == f'attachment; filename="message-{email.id}.ics"'
    cal = vobject_calendar(r.get_data())
    appt = b.appt
    assert (cal.method.value, cal.vevent.uid.value, cal.vevent.sequence.value) == ("REQUEST", appt.uid, "0")
    for reader in (vobject_read(r.get_data()), icaljs_read(r.get_data())):
        assert reader["events"][0]["start"] == iso_z(appt.start_at)


def test_messages_without_an_invitation_have_no_download(app, client):
    _booked(app, client)
    (sms,) = _rows(channel="sms", rule="confirmation")
    for path in (f"/dev/outbox/{sms.id}.ics", "/dev/outbox/999999.ics"):
        r = client.get(path)
        assert r.status_code == 404 and r.mimetype == "text/html"


def _app_for(monkeypatch, env: str, db_url: str, secret: str = "s" * 40):
    monkeypatch.setenv("TELEVISIT_ENV", env)
    monkeypatch.setenv("TELEVISIT_SECRET_KEY", secret)
    monkeypatch.setenv("TELEVISIT_DATABASE_URL", db_url)
    for name in ("TELEVISIT_NOW", "FLASK_DEBUG", "TWILIO_ACCOUNT_SID", "SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return create_app()


def test_the_dev_outbox_does_not_exist_in_production(monkeypatch, db_url):
    dev = _app_for(monkeypatch, "development", db_url)
    assert "/dev/outbox" in {rule.rule for rule in dev.url_map.iter_rules()}
    prod = _app_for(monkeypatch, "production", db_url)
    rules = {rule.rule for rule in prod.url_map.iter_rules()}
    assert not any(rule.startswith("/dev") for rule in rules)
    with prod.app_context():
        for path in ("/dev/outbox", "/dev/outbox/1.ics"):
            r = prod.test_client().get(path)
            assert r.status_code == 404 and r.mimetype == "text/html"
        db.engine.dispose()
    with pytest.raises(ConfigError):
        _app_for(monkeypatch, "production", db_url, secret="too-short")
