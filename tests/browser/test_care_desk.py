"""Care at the desk in a real Chromium, at a desk (1440x900) and on a phone (390x844): an admin adds a machine
with weekly hours and a pathway; a scheduler books a clinic day for a patient and cancels it; a scheduler books
a three-fraction radiosurgery course. Every page is axe-core clean, fits the screen and logs no console error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from televisit.extensions import db
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.desk_support import ADMIN, DESK, PHONE, SCHEDULER

SIZES = {"desk": DESK, "phone": PHONE}


@pytest.fixture(name="care")
def care_fixture(live):
    """The care world of tests/support/care_desk_world.py on the live server's database (fresh per test)."""
    from tests.conftest import _wipe
    from tests.support.care_desk_world import build

    with live.app.app_context():
        _wipe()
        try:
            yield build()
        finally:
            db.session.remove()
            _wipe()


# A refused form answers 422 (or 409) with the page and its message: Chromium logs that status as a console
# error, which is the refusal the test asks for, not a fault of the page.
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (409|422) ")


class Watched:
    """A signed-in page whose console errors and uncaught exceptions are collected."""

    def __init__(self, pages, email: str, size: str):
        self.page = pages.signed_in(email, viewport=SIZES[size])
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message) -> None:
        if message.type == "error" and not REFUSED.match(message.text):
            self.errors.append(message.text)

    def check(self) -> None:
        """The page as it is now: fits the screen, axe-core clean, no console error so far."""
        assert horizontal_overflow(self.page) == 0, self.page.url
        assert_accessible(self.page)
        assert self.errors == [], self.errors


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_adds_a_machine_with_hours_and_a_pathway(pages, care, size):
    w = Watched(pages, ADMIN, size)
    page = w.page
    page.goto("/admin")
    page.get_by_role("link", name="Rooms and machines").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rooms and machines")
    w.check()
    page.get_by_label("Name").fill("MRI London")
    page.get_by_label("Kind").fill("mri")
    page.get_by_label("Site").select_option(label="London")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Added MRI London. Now set its weekly hours")
    expect(page.get_by_role("heading", level=1)).to_contain_text("MRI London")
    w.check()
    window = page.get_by_role("group", name="Window 1 (new)")
    window.get_by_label("Day").select_option(label="Tuesday")
    window.get_by_label("From").fill("08:00")
    window.get_by_label("Until").fill("25:00")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.locator("#problem")).to_be_focused()
    expect(page.locator("#rules-0-end-error")).to_have_text(
        "Please enter the end time in window 1 as a time from 00:00 to 24:00."
    )  # in words, never a field key
    w.check()
    page.get_by_label("Until").first.fill("16:30")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.locator(".flash")).to_contain_text("Weekly hours saved.")
    expect(page.get_by_role("group", name="Window 1", exact=True).get_by_label("Until")).to_have_value("16:30")

    page.goto("/admin/pathways")
    page.get_by_role("link", name="Add a pathway").click()
    w.check()
    page.get_by_label("Name").fill("Second opinion day")
    first = page.get_by_role("group", name="Step 1")
    first.get_by_label("Visit type").select_option(label="Whole-spine MRI")
    first.get_by_label("Mode").select_option(label="In person")
    page.get_by_role("group", name="Step 2").get_by_label("Visit type").select_option(label="Consult")
    page.get_by_label("Longest gap between steps (minutes)").fill("90")
    page.get_by_label("Patients may book this themselves").check()
    page.get_by_role("button", name="Save the pathway").click()
    expect(page.locator(".flash")).to_contain_text("Saved the pathway Second opinion day.")
    row = page.locator("tr", has_text="Second opinion day")
    expect(row).to_contain_text("Whole-spine MRI (in person)")
    expect(row).to_contain_text("Yes")
    w.check()


def _find_patient(page, name: str) -> None:
    page.get_by_role("link", name="Book", exact=True).click()
    page.get_by_label("Name, MRN, date of birth or phone").fill(name)
    page.get_by_role("button", name="Search").click()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_scheduler_books_a_clinic_day_and_cancels_it(pages, care, size):
    w = Watched(pages, SCHEDULER, size)
    page = w.page
    page.goto("/schedule")
    _find_patient(page, "pat")
    page.get_by_role("link", name="Clinic day for pat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A clinic day for pat")
    w.check()
    page.get_by_label("Pathway").select_option(label="New spinal metastasis day")
    page.get_by_label("Site", exact=True).select_option(label="Cleveland")
    page.get_by_label("From").fill("2027-03-08")
    page.get_by_role("button", name="Find clinic days").click()
    option = page.locator(".day-option").first
    expect(option).to_contain_text("Mon, Mar 8 at Cleveland")
    expect(option).to_contain_text("1:00 PM GMT for the patient")  # the London patient's own clock
    expect(option).to_contain_text("MRI 1")
    w.check()
    page.get_by_role("button", name="Choose Mon, Mar 8 at Cleveland").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm the clinic day")
    w.check()
    page.get_by_role("button", name="Book the whole day").click()
    expect(page.locator(".flash")).to_contain_text("Booked the whole day for pat.")
    expect(page.locator(".day-step.status-booked")).to_have_count(3)
    w.check()
    page.get_by_role("link", name="Cancel the whole day…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel the whole day?")
    w.check()
    page.get_by_label("Reason (optional)").fill("The patient chose another hospital")
    page.get_by_role("button", name="Yes, cancel the whole day").click()
    expect(page.locator(".flash")).to_contain_text("Cancelled the whole day.")
    expect(page.locator(".day-step.status-cancelled")).to_have_count(3)
    w.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_scheduler_books_a_three_fraction_course(pages, care, size):
    w = Watched(pages, SCHEDULER, size)
    page = w.page
    page.goto("/schedule")
    _find_patient(page, "other")
    page.get_by_role("link", name="Course for other").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A radiosurgery course for other")
    w.check()
    page.get_by_label("Clinician").select_option(label="Dr. Rad")
    page.get_by_label("Fractions").select_option("3")
    page.get_by_label("First fraction from").fill("2027-03-08")
    page.get_by_role("button", name="Find the earliest courses").click()
    first = page.locator(".course-option").first
    expect(first).to_contain_text("Mon, Mar 8 – Wed, Mar 10, 8:00 AM in Cleveland, 3 fractions")
    expect(first.locator(".fraction")).to_have_count(3)
    w.check()
    first.get_by_role("button", name="Book this course").click()
    expect(page.locator(".flash")).to_contain_text("Booked all 3 fractions.")
    expect(page.locator("#summary")).to_contain_text("Mon, Mar 8 – Wed, Mar 10, 8:00 AM in Cleveland, 3 fractions")
    expect(page.locator(".fraction.status-booked")).to_have_count(3)
    w.check()
