"""A scheduler moves a patient's video visit at the desk, on a phone, a tablet and a desktop; the dev outbox shows
the "moved" messages and the calendar shows the new time. axe-core finds no serious or critical violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.desk_support import ADMIN, SCHEDULER, VIEWPORTS, desk_fixture  # noqa: F401


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_scheduler_moves_a_video_visit(pages, desk, size):
    page = pages.signed_in(SCHEDULER, viewport=VIEWPORTS[size])
    page.get_by_role("link", name="Schedule", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Calendar")
    page.get_by_label("Date", exact=True).fill("2027-03-08")
    page.get_by_role("button", name="Show").click()
    visit = page.get_by_role("button", name=re.compile(r"^9:00 AM EST other Consult \(.*Video, booked\)"))
    expect(visit).to_be_visible()  # on the time grid, which replaces the list when JavaScript runs
    assert horizontal_overflow(page) == 0
    assert_accessible(page)

    visit.click()
    page.get_by_role("dialog").get_by_role("link", name="Open the visit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("other")
    assert_accessible(page)
    page.get_by_label("From", exact=True).fill("2027-03-08")
    page.get_by_role("button", name="Find times").click()
    page.get_by_role("button", name="Move to 11:00 AM EST").click()
    expect(page.locator(".flash")).to_contain_text("Moved. other will get a message with the new time.")
    expect(page.locator("#summary")).to_contain_text("11:00 AM EST")
    assert horizontal_overflow(page) == 0

    page.goto("/dev/outbox")
    moved = page.locator("table.outbox tbody tr", has_text="moved")
    expect(moved.first).to_be_visible()
    assert moved.count() >= 1

    page.goto("/schedule?date=2027-03-08")
    expect(page.get_by_role("button", name=re.compile(r"^11:00 AM EST other "))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^9:00 AM EST other "))).to_have_count(0)


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_desk_pages_are_accessible_and_fit_the_screen(pages, desk, size):
    page = pages.signed_in(ADMIN, viewport=VIEWPORTS[size])
    for path in (
        "/schedule?view=day&date=2027-03-08",
        f"/schedule/book/{desk['patient']}?visit_type_id=1&from=2027-03-08",
        f"/schedule/clinicians/{desk['clinician']}/availability",
        "/schedule/urgent",
        "/schedule/waitlist",
        "/admin",
        "/admin/visit-types/1",
        "/admin/users",
    ):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        assert horizontal_overflow(page) == 0, path
        assert_accessible(page)


def test_a_refusal_is_shown_inline_and_focused(pages, desk):
    page = pages.signed_in(SCHEDULER, viewport=VIEWPORTS["desk"])
    page.goto(f"/schedule/book/{desk['patient']}?visit_type_id=1&mode=virtual&from=2027-03-08")
    page.get_by_role("button", name="Book 10:00 AM EST").click()
    expect(page.locator(".flash")).to_contain_text("Booked for other")
    page.goto(f"/schedule/appointments/{desk['appointment']}?from=2027-03-08")
    expect(page.get_by_role("button", name="Move to 10:00 AM EST")).to_have_count(0)  # just taken above
    page.get_by_role("button", name="Cancel the visit").click()  # no reason given
    expect(page.locator("#problem")).to_be_focused()
    expect(page.locator("#reason-error")).to_contain_text("Say why the visit is cancelled")
    expect(page.get_by_label("Reason for cancelling")).to_have_attribute("aria-invalid", "true")
