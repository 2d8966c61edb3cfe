"""Issue 12, item 17, in headless Chromium at 390 px: a UK patient whose intake raises a red flag is told to call
999 or go to A&E and given the clinic's UK urgent line in UK format, and no US number anywhere on the page."""

from __future__ import annotations

from playwright.sync_api import expect

from televisit.extensions import db
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.patient_support import PHONE, patients_fixture, program_fixture

assert patients_fixture and program_fixture  # fixtures `patients` and `program`, used by name below
UK_PATIENT = "lou@example.org"


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()


def _red_flag_intake(page) -> None:
    page.get_by_role("link", name="Find care").first.click()
    page.get_by_label("New consultation").check()
    page.get_by_label("In person", exact=True).check()
    page.get_by_role("button", name="Show first available times").click()
    expect(page.get_by_role("heading", name="Before your first visit")).to_be_visible()
    page.get_by_label("New loss of bladder or bowel control (or you cannot pass urine)").check()
    page.get_by_label("Problems controlling bladder or bowel").check()
    page.get_by_label("Less than a week").check()
    page.locator("#course-rapidly_worse").check()
    page.get_by_label("Severely: I need help with everyday tasks").check()
    page.locator("#prior_tumor-no").check()
    page.locator("#family_history-no").check()
    page.get_by_role("button", name="Continue").click()


def test_a_uk_patient_with_a_red_flag_gets_999_and_the_uk_line_only(patients, program):
    with program.app.app_context():
        f.user(UK_PATIENT, "patient", tz="Europe/London", region="GB", name="Lou London")
        db.session.commit()
    page = patients.page(PHONE, zone="Europe/London")
    _sign_in(page, UK_PATIENT)
    _red_flag_intake(page)

    expect(page.get_by_role("heading", name="Please seek emergency care now")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Call 999 or go to A&E now.")
    expect(page.get_by_role("link", name="999", exact=True)).to_have_attribute("href", "tel:999")
    line = page.get_by_role("link", name="020 7946 0999")  # the demo UK line, written as UK callers write it
    expect(line).to_have_attribute("href", "tel:+442079460999")
    expect(line).to_be_visible()
    expect(page.get_by_text("Calling from abroad: +44 20 7946 0999")).to_be_visible()

    text = page.locator("main").inner_text()
    assert "911" not in text and "+1" not in text and "555" not in text and "emergency department" not in text
    assert page.locator('a[href^="tel:+1"]').count() == 0
    hrefs = page.eval_on_selector_all('a[href^="tel:"]', "links => links.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == ["tel:+442079460999", "tel:999"], hrefs
    assert horizontal_overflow(page) == 0
    assert_accessible(page)
