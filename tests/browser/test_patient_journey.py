"""Patient journeys in headless Chromium at phone, tablet and desk sizes, with axe-core on every main page.

A London patient signs up (the page guesses her zone), books a video second opinion with a Cleveland surgeon
after the intake, and sees both clocks; a patient whose intake has a red flag reaches the urgent page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from televisit.extensions import db
from televisit.services.patients.intake import urgent_queue
from tests.browser.account_support import confirm_and_sign_in
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.patient_support import RED_FLAG_PATIENT, VIEWPORTS, patients_fixture, program_fixture
from tests.factories import PASSWORD

assert patients_fixture and program_fixture  # fixtures `patients` and `program`, used by name below
BOTH_CLOCKS = re.compile(r"\w{3} \d+ \w{3} 2027, \d{2}:\d{2} your time \(\d{2}:\d{2} in Cleveland\)")


SHOTS = os.environ.get("TELEVISIT_SCREENSHOT_DIR")  # set it to keep a full-page screenshot of each checked page


def _check(page) -> None:
    """Every main page: no horizontal scrolling, no serious or critical axe finding."""
    assert horizontal_overflow(page) == 0, page.url
    assert_accessible(page)
    if SHOTS:
        name = re.sub(r"\W+", "-", page.url.split("/", 3)[-1].split("?")[0]).strip("-") or "home"
        width = page.viewport_size["width"]
        page.screenshot(path=str(Path(SHOTS) / f"patient-{name}-{width}.png"), full_page=True)


def _sign_up_in_london(page, email: str, server) -> None:
    page.goto("/signup")
    expect(page.get_by_label("Your time zone")).to_have_value("Europe/London")  # guessed from the browser
    expect(page.get_by_label("Where you live")).to_have_value("GB")
    _check(page)
    page.get_by_role("button", name="Create account").click()  # nothing filled in yet
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "name"  # the first field in error has the focus
    page.get_by_label("Full name").fill("Lou London")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    confirm_and_sign_in(page, server, email)  # issue 12: the address is confirmed by email first
    expect(page.get_by_role("heading", name="No visits yet")).to_be_visible()
    _check(page)


def _intake(page, *, urgent: str) -> None:
    expect(page.get_by_role("heading", name="Before your first visit")).to_be_visible()
    _check(page)
    page.get_by_label(urgent).check()
    page.get_by_label("Back or neck pain").check()
    page.get_by_label("1 to 3 months").check()
    page.get_by_label("Slowly getting worse").check()
    page.get_by_label("A little: I manage my usual activities").check()
    page.locator("#prior_tumor-no").check()
    page.locator("#family_history-unsure").check()
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_london_patient_books_a_video_second_opinion_with_a_cleveland_surgeon(patients, program, size):
    page = patients.page(VIEWPORTS[size], zone="Europe/London")
    _sign_up_in_london(page, f"lou-{size}@example.org", program.server)
    page.get_by_role("link", name="Find care").first.click()
    page.get_by_label("Second opinion").check()
    page.get_by_label("Video visit", exact=True).check()
    page.get_by_label("Which site?").select_option(label="Cleveland Main Campus, Cleveland")
    expect(page.get_by_label("Where will you be during the video visit?")).to_have_value("GB")
    _check(page)
    page.get_by_role("button", name="Show first available times").click()
    _intake(page, urgent="None of these")

    expect(page.get_by_role("heading", name="First available times")).to_be_visible()
    first = page.locator("a.slot").first
    expect(first.locator(".own")).to_have_text(re.compile(r"^\d{2}:\d{2}$"))  # her own clock, 24-hour
    expect(first).to_contain_text(re.compile(r"\d{2}:\d{2} in Cleveland"))  # the site's, by its city
    expect(first).to_contain_text("Dr. Amara Okafor")
    _check(page)
    first.click()

    expect(page.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    expect(page.locator("dd.when")).to_have_text(BOTH_CLOCKS)
    _check(page)
    page.get_by_role("button", name="Book this time").click()

    expect(page.get_by_text("You're booked.")).to_be_visible()
    expect(page.locator("dd.when")).to_have_text(BOTH_CLOCKS)
    expect(page.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    _check(page)
    page.get_by_role("link", name="My appointments").first.click()
    expect(page.locator(".visit .when").first).to_have_text(BOTH_CLOCKS)
    _check(page)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_red_flag_in_the_intake_reaches_the_urgent_page_and_the_queue(patients, program, size):
    page = patients.page(VIEWPORTS[size])
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(RED_FLAG_PATIENT)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()
    page.get_by_role("link", name="Find care").first.click()
    page.get_by_label("New consultation").check()
    page.get_by_label("In person", exact=True).check()
    page.get_by_role("button", name="Show first available times").click()
    _intake(page, urgent="New weakness in your legs or arms, or new trouble walking")

    expect(page.get_by_role("heading", name="Please seek emergency care now")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("new weakness or trouble walking")
    expect(page.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    expect(page.locator('a[href^="tel:+1"]')).to_be_visible()
    _check(page)
    with program.app.app_context():
        (case,) = urgent_queue(db.session)
        assert case.patient.email == RED_FLAG_PATIENT and case.flags == ["weakness_walking"]
        db.session.commit()
    page.get_by_role("link", name="Find care").first.click()  # routine booking stays stopped
    expect(page.get_by_role("heading", name="Please seek emergency care now")).to_be_visible()
