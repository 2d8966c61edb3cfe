"""The desk's time grid in a real Chromium, at a desk (1440x900) and on a phone (390x844): a column per clinician
and a rooms-and-machines view, a click on free time that ends in a booking there, a move (dragged on the desk,
through "Move to" on the phone) confirmed before it is saved and the patient's message planned, and the list
that stays when JavaScript is off. Every state is axe-core clean, fits the screen and logs no console error
(no CSP report either: the grid's library sets its styles through the CSSOM, which style-src allows)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from televisit.extensions import db
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.desk_support import DESK, PHONE, SCHEDULER

SIZES = {"desk": DESK, "phone": PHONE}
WEEK = "/schedule?date=2027-03-08"
# A refusal answers 409 or 422 with its reason in words: Chromium logs the status, which is what the test asks for.
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (409|422) ")


@pytest.fixture(name="grid")
def grid_fixture(live):
    """The grid world of tests/support/grid_world.py on the live server's database (fresh per test)."""
    from tests.conftest import _wipe
    from tests.support.grid_world import build

    with live.app.app_context():
        _wipe()
        try:
            yield build()
        finally:
            db.session.remove()
            _wipe()


CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


class Watched:
    """A signed-in scheduler's page whose console errors, CSP reports and uncaught exceptions are collected."""

    def __init__(self, pages, size: str):
        self.page = pages.signed_in(SCHEDULER, viewport=SIZES[size])
        self.page.context.add_init_script(CSP)  # every page from now on reports a violated directive
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message) -> None:
        if message.type in ("error", "warning") and not REFUSED.match(message.text):
            self.errors.append(message.text)

    def check(self) -> None:
        """Fits the screen, axe-core clean, nothing in the console so far."""
        assert horizontal_overflow(self.page) == 0, self.page.url
        assert_accessible(self.page)
        assert self.errors == [], self.errors
        assert self.page.evaluate("window.__csp") == [], "a Content-Security-Policy violation"


def _stored(live, appointment_id: int):
    """The appointment's start (UTC), clinician and sequence, and its planned outbox rules, as stored now."""
    from televisit.models import Appointment, OutboxMessage

    with live.app.app_context():
        a = db.session.get(Appointment, appointment_id)
        rules = list(db.session.scalars(select(OutboxMessage.rule).where(OutboxMessage.appointment_id == a.id)))
        out = (a.start_at.isoformat(), a.clinician_id, a.sequence, rules)
        db.session.remove()
    return out


def _open_grid(w: Watched, url: str = WEEK):
    page = w.page
    page.goto(url)
    expect(page.locator("#grid .ec")).to_be_visible()
    expect(page.locator("#grid-note")).to_contain_text("One column per")
    return page


def _visit(page, patient: str, time: str):
    """The visit's button on the grid (its name reads its time, patient and type, then date and clinician)."""
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(time)} {re.escape(patient)} "))


@pytest.mark.parametrize("size", list(SIZES))
def test_a_column_per_clinician_and_a_rooms_and_machines_view(pages, grid, size):
    w = Watched(pages, size)
    page = _open_grid(w)
    expect(page.locator("#calendar-list")).to_be_hidden()  # the grid replaces the list
    heads = page.locator(".ec-col-head .col-title")
    expect(heads.first).to_have_text("Dr. Cleveland")
    expect(page.locator(".ec-col-head", has_text="Dr. Neuro").first).to_contain_text("Neurosurgery")
    expect(_visit(page, "other", "9:00 AM EST")).to_have_count(1)
    london = page.get_by_role(
        "button", name=re.compile(r"^10:00 AM EST pat .*Mon, Mar 8, 2027, 10:00 AM EST with Dr\. Neuro")
    )
    expect(london).to_contain_text("Patient's time 3:00 PM GMT")  # the patient's own clock beside the desk's
    expect(page.locator(".ec-bg-event.free").first).to_be_attached()
    w.check()

    page.get_by_label("Columns").select_option(label="One per room or machine")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator(".ec-col-head .col-title").first).to_have_text("Linac 1")
    expect(page.locator(".ec-col-head .col-title")).to_have_text(["Linac 1", "MRI 1"] * (1 if size == "phone" else 7))
    expect(page.locator("#grid-note")).to_contain_text("free time for Whole-spine MRI")
    w.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_click_on_free_time_books_there(pages, live, grid, size):
    w = Watched(pages, size)
    page = _open_grid(w, f"{WEEK}&view=day&clinician_id={grid.us_doc}")
    free = page.locator(".ec-bg-event.free[title^='Free 10:00 AM EST']")
    free.scroll_into_view_if_needed()
    box = free.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#picked")).to_contain_text(
        "Consult with Dr. Cleveland at Cleveland, Mon, Mar 8, 2027, 10:00 AM EST"
    )
    w.check()
    page.get_by_role("searchbox").fill("other")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile(r"^Book for other")).click()
    picked = page.locator("section#picked")
    expect(picked.get_by_role("button", name=re.compile(r"^Book 10:00 AM EST"))).to_have_count(2)  # video, in person
    w.check()
    picked.get_by_role("button", name=re.compile(r"^Book 10:00 AM EST.*Video")).click()
    expect(page.locator(".flash")).to_contain_text("Booked for other")
    new_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    start, clinician, _, rules = _stored(live, new_id)
    assert (start, clinician) == ("2027-03-08T15:00:00+00:00", grid.us_doc) and "confirmation" in rules


def _drag(page, event, hours: float) -> None:
    """Drag `event` down by `hours` on the grid (32 px a half hour), in small steps as a hand does."""
    event.scroll_into_view_if_needed()
    box = event.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x, y + 64 * hours * i / 12)
    page.mouse.up()


def test_a_dragged_visit_moves_only_once_confirmed_and_the_patient_is_told(pages, live, grid):
    w = Watched(pages, "desk")
    page = _open_grid(w, f"{WEEK}&view=day")
    dialog = page.get_by_role("dialog")
    _drag(page, _visit(page, "other", "9:00 AM EST"), 2)
    expect(dialog).to_contain_text("Move other's visit?")
    expect(dialog).to_contain_text("Mon, Mar 8, 2027, 9:00 AM EST with Dr. Cleveland")
    expect(dialog).to_contain_text("Mon, Mar 8, 2027, 11:00 AM EST with Dr. Cleveland")
    w.check()
    dialog.get_by_role("button", name="Keep it as it is").click()
    expect(dialog).to_be_hidden()
    expect(_visit(page, "other", "9:00 AM EST")).to_be_visible()  # dropped back where it was
    assert _stored(live, grid.consult)[2] == 0

    _drag(page, _visit(page, "other", "9:00 AM EST"), 2)
    dialog.get_by_role("button", name="Move and tell the patient").click()
    expect(page.locator("#grid-status")).to_have_text("Moved. other will get a message with the new time.")
    expect(_visit(page, "other", "11:00 AM EST")).to_be_visible()
    start, _, sequence, rules = _stored(live, grid.consult)
    assert (start, sequence) == ("2027-03-08T16:00:00+00:00", 1) and "moved" in rules
    w.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_move_action_confirms_then_moves_and_a_course_fraction_moves_only_whole(pages, live, grid, size):
    w = Watched(pages, size)
    page = _open_grid(w, f"{WEEK}&view=day")
    dialog = page.get_by_role("dialog")
    _visit(page, "pat", "10:00 AM EST").click()
    expect(dialog).to_contain_text("Patient's own time")
    dialog.get_by_label("New time").fill("13:00")
    dialog.get_by_role("button", name="Check the new time").click()
    expect(dialog).to_contain_text("Move pat's visit?")
    expect(dialog).to_contain_text("Mon, Mar 8, 2027, 1:00 PM EST with Dr. Neuro")
    expect(dialog).to_contain_text("Mon, Mar 8, 2027, 6:00 PM GMT")  # the patient's own clock
    expect(dialog).to_contain_text("pat will get a message with the new time.")
    w.check()
    assert _stored(live, grid.london_consult)[2] == 0  # nothing saved before the confirmation
    dialog.get_by_role("button", name="Move and tell the patient").click()
    expect(page.locator("#grid-status")).to_have_text("Moved. pat will get a message with the new time.")
    start, _, sequence, rules = _stored(live, grid.london_consult)
    assert (start, sequence) == ("2027-03-08T18:00:00+00:00", 1) and "moved" in rules

    page.goto("/schedule?date=2027-03-10&view=day")
    _visit(page, "pat", "8:00 AM EST").click()
    expect(dialog).to_contain_text("This visit is part of a treatment course: it moves with the whole")
    expect(dialog.locator("#move-form")).to_be_hidden()
    expect(dialog.get_by_role("link", name="Open it to move the whole")).to_have_attribute(
        "href", f"/schedule/courses/{grid.course}"
    )
    w.check()


def test_a_refused_move_says_why_and_puts_the_visit_back(pages, live, grid):
    w = Watched(pages, "desk")
    page = _open_grid(w, f"{WEEK}&view=day")
    _drag(page, _visit(page, "other", "9:00 AM EST"), 4)  # 13:00: after Dr. Cleveland's Monday hours
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("alert")).to_have_text(
        "The clinician does not offer that time for this visit (outside their hours or not in that mode)."
    )
    dialog.get_by_role("button", name="Close").click()
    expect(_visit(page, "other", "9:00 AM EST")).to_be_visible()
    assert _stored(live, grid.consult)[2] == 0
    w.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_without_javascript_the_list_still_works(browser, live, grid, size):
    from tests.factories import PASSWORD

    context = browser.new_context(viewport=SIZES[size], base_url=live.server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(SCHEDULER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(WEEK)
        expect(page.locator("#calendar-list")).to_be_visible()
        expect(page.locator("#grid")).to_be_hidden()
        expect(page.get_by_label("Columns")).to_be_hidden()  # grid-only choices stay out of the way
        expect(page.locator("#calendar-list")).to_contain_text("9:00 AM EST")
        expect(page.locator("#calendar-list")).to_contain_text("Whole-spine MRI")
        page.get_by_role("link", name=re.compile(r"^9:00 AM EST.*other")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("other")
        assert horizontal_overflow(page) == 0
    finally:
        context.close()


def test_the_week_grid_at_a_desk(pages, grid):
    """The week: seven days of columns scroll sideways inside the grid, never the page."""
    w = Watched(pages, "desk")
    page = _open_grid(w, f"{WEEK}&view=week&location_id={grid.cleveland}")
    expect(page.locator(".ec-title")).to_have_text("Mar 8 – 14, 2027")
    expect(page.locator(".ec-col-head", has_text="Dr. Rad")).to_have_count(7)
    page.get_by_role("button", name="Next week").click()
    expect(page.locator(".ec-title")).to_have_text("Mar 15 – 21, 2027")
    assert "date=2027-03-15" in page.url  # a reload keeps the place
    expect(page.get_by_label("Date", exact=True)).to_have_value("2027-03-15")  # the filter follows the grid
    page.get_by_role("button", name="Today").click()
    expect(page.locator(".ec-title")).to_have_text("Mar 1 – 7, 2027")  # the server's week, not the browser's
    expect(page.get_by_label("Date", exact=True)).to_have_value("2027-03-01")  # each time, not only the first
    w.check()
