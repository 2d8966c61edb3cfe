"""Issue 12, item 15, in a real browser at desk (1440x900) and phone (390x844) sizes.

A scheduler adds a day off over the Ohio patient's booked video visit (Mon 8 Mar, 09:00 EST): the page lists the
visit and saves nothing until they choose; they choose to cancel it and the patient's appointment is cancelled,
the cancellation planned once per channel. They then add part of today off through the "from a time until a
time" form, and the clinician's day shows that time off instead of presenting those hours as clinic hours.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.desk_support import SCHEDULER, VIEWPORTS, desk_fixture  # noqa: F401

SIZES = ["desk", "phone"]


def _stored(live, appointment_id: int) -> tuple[str, int, list[str]]:
    """The appointment's status, how many time offs are stored, and the channels of its cancellation messages."""
    from televisit.extensions import db
    from televisit.models import Appointment, OutboxMessage, TimeOff

    with live.app.app_context():
        status = db.session.get(Appointment, appointment_id).status
        offs = db.session.scalar(select(func.count()).select_from(TimeOff))
        stmt = select(OutboxMessage.channel).where(
            OutboxMessage.appointment_id == appointment_id, OutboxMessage.rule == "cancelled"
        )
        channels = sorted(db.session.scalars(stmt))
        db.session.remove()
    return status, offs, channels


def _open_availability(page) -> None:
    page.get_by_role("link", name="Schedule", exact=True).click()
    page.get_by_role("link", name="Availability", exact=True).click()
    page.get_by_role("link", name="Hours and time off for Dr. Cleveland").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dr. Cleveland")


@pytest.mark.parametrize("size", SIZES)
def test_a_day_off_over_a_booked_visit_lists_it_and_cancel_tells_the_patient(pages, live, desk, size):
    page = pages.signed_in(SCHEDULER, viewport=VIEWPORTS[size])
    _open_availability(page)
    day_form = page.locator("form", has=page.get_by_role("heading", name="A whole day"))
    day_form.get_by_label("Site (its local day)").select_option(label="Cleveland")
    day_form.get_by_label("Date").fill("2027-03-08")
    day_form.get_by_label("Reason (optional)").fill("Conference")
    day_form.get_by_role("button", name="Add the day off").click()

    expect(page.locator("#problem")).to_contain_text("Nothing is saved yet")
    expect(page.locator("#problem")).to_contain_text("covers 1 visit that is still booked")
    row = page.locator("#affected tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Mon, Mar 8, 2027, 9:00 AM EST")
    expect(row).to_contain_text("other")
    expect(row).to_contain_text("Consult")
    expect(page.get_by_role("button", name="Keep the visits and add the time off")).to_be_visible()
    expect(page.get_by_role("link", name="Go back without saving")).to_be_visible()
    assert horizontal_overflow(page) == 0
    assert_accessible(page)
    assert _stored(live, desk["appointment"]) == ("booked", 0, [])  # nothing saved while they choose

    page.get_by_role("button", name="Cancel them and tell the patients").click()
    expect(page.locator(".flash")).to_contain_text("Time off added. 1 visit cancelled; each patient is being told.")
    expect(page.locator(".effect")).to_be_visible()
    assert _stored(live, desk["appointment"]) == ("cancelled", 1, ["email"])

    page.goto(f"/schedule/appointments/{desk['appointment']}")
    expect(page.locator("#summary")).to_contain_text("cancelled")
    expect(page.locator("#summary")).to_contain_text("Clinician time off: Conference")


@pytest.mark.parametrize("size", SIZES)
def test_the_clinicians_day_shows_time_off_added_at_the_desk(pages, live, desk, size):
    page = pages.signed_in(SCHEDULER, viewport=VIEWPORTS[size])
    _open_availability(page)
    span_form = page.locator("form", has=page.get_by_role("heading", name="From a time until a time"))
    span_form.get_by_label("Site (its local time)").select_option(label="Cleveland")
    span_form.get_by_label("From date").fill("2027-03-01")  # today on the server's clock (09:05 EST)
    span_form.get_by_label("From time (HH:MM)").fill("10:00")
    span_form.get_by_label("Until date").fill("2027-03-01")
    span_form.get_by_label("Until time (HH:MM)").fill("11:00")
    span_form.get_by_role("button", name="Add the time off").click()
    expect(page.locator(".flash")).to_contain_text("Time off added.")

    doctor = pages.signed_in("cle@example.org", viewport=VIEWPORTS[size])
    doctor.get_by_role("link", name="Today", exact=True).click()
    site = doctor.locator("section.panel", has=doctor.get_by_role("heading", name="Cleveland"))
    expect(site.locator(".time-off")).to_have_text("Away 10:00–11:00 (time off)")
    expect(site).to_contain_text("Hours left today: 09:00–10:00 (Video, In person); 11:00–12:00 (Video, In person)")
    expect(site).not_to_contain_text("09:00–12:00")
    assert horizontal_overflow(doctor) == 0
    assert_accessible(doctor)
