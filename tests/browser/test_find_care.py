"""Find care in Chromium at 390 px and 1440 x 900 (issue 14): filter by specialty, page to later times, jump to a
date, book; on a phone the header takes at most a fifth of the screen on every patient page; axe-core clean and a
clean console on each page."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from televisit.extensions import db
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.patient_support import DESK, PHONE, patients_fixture, program_fixture
from tests.browser.test_console_clean import Watch
from tests.factories import PASSWORD

assert patients_fixture and program_fixture  # fixtures `patients` and `program`, used by name below
SIZES = {"phone": PHONE, "desk": DESK}
KAI = "kai@example.org"


def _header_share(page) -> float:
    """The header's height as a share of the viewport's height."""
    height = page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
    return height / page.viewport_size["height"]


def _check(page, watch: Watch) -> None:
    """Every page: no sideways scrolling, axe clean, a clean console, and a header of at most a fifth."""
    page.wait_for_load_state("networkidle")
    assert horizontal_overflow(page) == 0, page.url
    assert_accessible(page)
    assert watch.problems == [], watch.problems
    assert _header_share(page) <= 0.2, (page.url, _header_share(page))


def _starts(page) -> list[datetime]:
    hrefs = page.locator("a.slot").evaluate_all("links => links.map((a) => a.getAttribute('href'))")
    return [datetime.fromisoformat(parse_qs(urlsplit(h).query)["start"][0]) for h in hrefs]


def _sign_in(patients, program, size):
    with program.app.app_context():
        f.user(KAI, "patient", region="US-OH", name="Kai Ohio")
        db.session.commit()
    page = patients.page(SIZES[size])
    watch = Watch(page)
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(KAI)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()
    _check(page, watch)
    return page, watch


@pytest.mark.parametrize("size", list(SIZES))
def test_filter_by_specialty_page_to_later_times_jump_to_a_date_and_book(patients, program, size):
    page, watch = _sign_in(patients, program, size)
    page.get_by_role("link", name="Find care").first.click()
    page.get_by_label("Follow-up").check()
    page.get_by_label("In person", exact=True).check()
    page.get_by_label("Which specialty? (optional)").select_option(label="Neurosurgery")
    _check(page, watch)
    page.get_by_role("button", name="Show first available times").click()

    expect(page.get_by_role("heading", name="First available times")).to_be_visible()
    slots = page.locator("a.slot")
    expect(slots.first).to_contain_text("Neurosurgery")
    specialties = page.locator("a.slot .specialty").all_inner_texts()
    assert specialties and set(specialties) == {"Neurosurgery"}  # every time: a neurosurgeon, named as such
    first_page = _starts(page)
    _check(page, watch)

    page.get_by_role("link", name="Later times").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Available times from "))).to_be_visible()
    second_page = _starts(page)
    assert second_page and min(second_page) > max(first_page)  # later, and nothing shown twice
    assert set(page.locator("a.slot .specialty").all_inner_texts()) == {"Neurosurgery"}  # the filter is kept
    _check(page, watch)

    page.locator("#jump-from").fill("2027-03-22")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Available times from Mon, Mar 22, 2027")).to_be_visible()
    assert min(_starts(page)).date().isoformat() >= "2027-03-22"
    _check(page, watch)

    chosen = page.locator("a.slot", has_text="Cleveland").first  # a Cleveland time: the patient's own clock
    own = chosen.locator(".own").inner_text()
    chosen.click()
    expect(page.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    expect(page.locator("dd.when")).to_contain_text(f"{own} (your time, as in Cleveland)")
    _check(page, watch)
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_text("You're booked.")).to_be_visible()
    expect(page.locator("dd.when")).to_contain_text("Mon, Mar 22, 2027")
    _check(page, watch)


def test_the_header_takes_at_most_a_fifth_of_a_phone_on_every_patient_page(patients, program):
    page, watch = _sign_in(patients, program, "phone")
    for path in (
        "/appointments",
        "/find-care",
        "/find-care?need=follow-up&mode=in_person",
        "/find-care?need=follow-up&mode=in_person&from=2030-01-01",  # no times: the clinic's number
        "/find-care/days",
        "/intake?need=new&mode=in_person",
        "/profile",
    ):
        page.goto(path)
        _check(page, watch)
    page.goto("/find-care?need=follow-up&mode=in_person&from=2030-01-01")
    expect(page.locator("a.phone")).to_have_text("(216) 555-0199")
