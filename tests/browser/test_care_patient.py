"""A London patient books a second-opinion day herself in headless Chromium, on a phone (390x844) and at a desk
(1440x900): from find care to the day's confirmation, then sees it as ONE itinerary on My appointments. Every
page: no horizontal scrolling, axe-core clean (no serious or critical finding), no console error."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from televisit.extensions import db
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.patient_support import DESK, PHONE, patients_fixture, program_fixture
from tests.browser.test_patient_journey import _intake
from tests.factories import PASSWORD

assert patients_fixture and program_fixture  # fixtures `patients` and `program`, used by name below
SIZES = {"phone": PHONE, "desk": DESK}
SHOTS = os.environ.get("TELEVISIT_SCREENSHOT_DIR")  # set it to keep a full-page screenshot of each checked page
OWN_FIRST = re.compile(r"\d\d:\d\d your time \(\d\d:\d\d in Cleveland\)")


def _check(page, errors: list[str]) -> None:
    """A main page: no horizontal scrolling, no serious or critical axe finding, no console error so far."""
    assert horizontal_overflow(page) == 0, page.url
    assert_accessible(page)
    assert errors == [], errors
    if SHOTS:
        name = re.sub(r"\W+", "-", page.url.split("/", 3)[-1].split("?")[0]).strip("-") or "home"
        page.screenshot(path=str(Path(SHOTS) / f"care-{name}-{page.viewport_size['width']}.png"), full_page=True)


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


@pytest.mark.parametrize("size", list(SIZES))
def test_a_patient_books_a_second_opinion_day_and_sees_it_as_one_itinerary(patients, program, size):
    email = f"lou-day-{size}@example.org"
    with program.app.app_context():
        f.user(email, "patient", tz="Europe/London", region="GB", name="Lou London")
        db.session.commit()
    page = patients.page(SIZES[size], zone="Europe/London")
    errors = _watch(page)
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()

    page.get_by_role("link", name="Find care").first.click()
    _check(page, errors)
    page.get_by_role("link", name="Book a whole clinic day").click()
    expect(page.get_by_role("heading", name="Book a whole clinic day")).to_be_visible()
    expect(page.get_by_text("New spinal metastasis day")).to_have_count(0)  # booked by the care team only
    _check(page, errors)
    page.get_by_role("link", name="See the days for a second opinion day").click()
    _intake(page, urgent="None of these")  # a first visit: the intake comes first, then back to the days

    expect(page.get_by_role("heading", name="Second opinion day")).to_be_visible()
    page.get_by_label("Which site?").select_option(label="Cleveland Main Campus, Cleveland")
    page.get_by_role("button", name="Show days").click()
    first = page.locator("article.day-option").first
    expect(first).to_contain_text("Imaging review (in clinic) with Dr. Grace Kim")
    expect(first).to_contain_text("Neurosurgery consultation with Dr. Amara Okafor")
    assert OWN_FIRST.search(first.inner_text()), first.inner_text()
    _check(page, errors)
    first.get_by_role("link", name="Choose this day").click()

    expect(page.get_by_role("heading", name="Confirm your clinic day")).to_be_visible()
    expect(page.locator(".day-step")).to_have_count(2)
    _check(page, errors)
    page.get_by_role("button", name="Book this day").click()

    expect(page.get_by_text("Your clinic day is booked.")).to_be_visible()
    expect(page.get_by_role("heading", name="Second opinion day")).to_be_visible()
    expect(page.get_by_role("link", name="Add the whole day to your calendar (.ics)")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel the whole day")).to_be_visible()
    _check(page, errors)

    page.get_by_role("link", name="My appointments").first.click()
    cards = page.locator(".visits .visit")
    expect(cards).to_have_count(1)  # the day is ONE itinerary, not two visits
    expect(cards.first).to_contain_text("Clinic day · 2 visits · Booked")
    expect(cards.first.locator(".day-step")).to_have_count(2)
    _check(page, errors)

    page.get_by_role("link", name="Cancel the whole day").click()
    expect(page.get_by_role("heading", name="Cancel the whole day?")).to_be_visible()
    _check(page, errors)
