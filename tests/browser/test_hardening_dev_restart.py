"""Issue 12, item 13, in a browser: restarting the development server (`make run` again) signs nobody out and
breaks no link already sent, because development keeps its generated secret in instance/secret_key."""

from __future__ import annotations

import stat
from datetime import timedelta

from playwright.sync_api import expect

from televisit.extensions import db
from televisit.services.auth import actor_of
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.messaging import links
from tests import factories as f
from tests.support.live_server import LiveServer, fresh_database
from tests.support.waiting_world import SERVER_NOW

VISIT = SERVER_NOW.replace(hour=10, minute=0) + timedelta(days=7)  # Monday next week, 10:00 in Cleveland


def _program() -> int:
    """factories.program() and a visit for the Ohio patient next week; returns its id."""
    p = f.program()
    slot = SlotRequest(p.consult.id, p.us_doc.id, p.cleveland.id, "in_person", VISIT, "US-OH")
    req = booking.BookingRequest(slot, p.users["other"].patient_id)
    appointment_id = booking.book(db.session, req, actor=actor_of(p.users["scheduler"]), now=SERVER_NOW).id
    db.session.commit()
    return appointment_id


def test_a_restart_keeps_the_browser_signed_in_and_the_links_working(browser, tmp_path):
    from tests.conftest import _make_app

    secret_file = tmp_path / "instance" / "secret_key"
    env = {"TELEVISIT_SECRET_KEY": "", "TELEVISIT_SECRET_KEY_FILE": str(secret_file)}  # none given: development's own
    with fresh_database("sqlite") as url:
        app = _make_app(url)
        with app.app_context():
            appointment_id = _program()
            db.engine.dispose()
        first = LiveServer(url, now=SERVER_NOW, extra_env=env).start()
        try:
            assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
            link = links.sign(secret_file.read_text().strip(), "view", appointment_id, 0, VISIT + timedelta(days=1))
            context = browser.new_context(base_url=first.url)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("Email").fill("other@example.org")
            page.get_by_label("Password").fill(f.PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator(".top nav")).to_contain_text("Sign out")
        finally:
            first.stop()  # Ctrl+C
        second = LiveServer(url, now=SERVER_NOW, extra_env=env).start()  # and `make run` again
        try:
            page.goto(f"{second.url}/appointments")  # cookies go by host, not port: the same browser session
            expect(page.locator(".top nav")).to_contain_text("Sign out")
            assert "/login" not in page.url
            response = page.goto(f"{second.url}/l/view/{link}")  # the link in an email sent before the restart
            assert response is not None and response.status == 200
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            context.close()
        finally:
            second.stop()
