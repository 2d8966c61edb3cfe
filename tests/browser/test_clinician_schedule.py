"""The clinician's day, week, visit page and waiting room in a real Chromium, on a 390 px phone and a 1440x900 desk.

The clinic morning of tests/support/waiting_world.py (Mon 1 Mar 2027, Cleveland, the server's clock from 09:05):
Dr. Cleveland moves between days and weeks (links and the date picker), reads a patient's reason and intake
answers, marks a no-show and ends a video visit only after confirming (a confirmation page on the schedule
pages, a modal <dialog> in the waiting room), and the video sits in view at 1440x900 once a patient is admitted.
Every page is axe-core clean (the dialog open too), fits the screen and logs no console error.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from televisit.domain.triage import IntakeAnswers
from televisit.extensions import db
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.patients import intake
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.test_video_visit import _check_in, _in_call
from tests.support.waiting_world import DOC, SERVER_NOW, at

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "desk": DESK}
# The bad date answers 422 with the page and its sentence: Chromium logs that status; it is the answer asked for.
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (400|409|422) ")
ANSWERS = IntakeAnswers(
    symptoms=("radiating_pain",),
    urgent=("none",),
    since="weeks",
    course="same",
    daily_life="mild",
    prior_tumor="no",
    family_history="no",
    details="Pain down the left leg when I sit.",
)


class Watched:
    """A signed-in page whose console errors and uncaught exceptions are collected."""

    def __init__(self, pages, email: str, viewport: dict):
        self.page = pages.signed_in(email, viewport=viewport)
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


def _book(clinic, who: str, day: str, hhmm: str, *, mode: str = "virtual", reason: str | None = None) -> int:
    """Book `who` at `hhmm` on local `day` at Cleveland (as the scheduler, the day before), with a reason."""
    start = at(hhmm).replace(year=int(day[:4]), month=int(day[5:7]), day=int(day[8:]))
    slot = SlotRequest(clinic.ids["visit_type"], clinic.ids["doc"], clinic.ids["location"], mode, start, "US-OH")
    req = booking.BookingRequest(slot, patient_id=clinic.ids[who], reason=reason)
    appointment_id = booking.book(db.session, req, actor=clinic.scheduler, now=SERVER_NOW - timedelta(days=1)).id
    db.session.commit()  # on SQLite an open transaction would hold the server's writes
    return appointment_id


def _lou(clinic) -> None:
    """A patient at home in London (her clock reads five hours ahead of Cleveland's in early March)."""
    clinic.ids["lou"] = f.user("lou@x.org", "patient", tz="Europe/London", region="US-OH", name="Lou").patient_id
    db.session.commit()


def _status(clinic, appointment_id: int) -> str:
    return clinic.appointment(appointment_id)["status"]


@pytest.mark.parametrize("size", list(SIZES))
def test_day_and_week_views_with_date_navigation_and_the_patients_answers(pages, clinic, size):
    _lou(clinic)
    ada = _book(clinic, "ada", "2027-03-01", "10:30", reason="Numbness in my fingers")
    intake.submit(db.session, clinic.ids["ada"], ANSWERS, need="first_consultation", now=SERVER_NOW)
    db.session.commit()
    _book(clinic, "lou", "2027-03-01", "11:00", mode="in_person")
    _book(clinic, "bob", "2027-03-08", "09:00")
    w = Watched(pages, DOC, SIZES[size])
    page = w.page
    page.goto("/clinic/today")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today's clinic")
    expect(page.locator(f"#visit-{ada}")).to_contain_text("Reason: Numbness in my fingers")
    lou_row = page.locator("tr", has_text="Lou")
    expect(lou_row.locator(".patient-time")).to_have_text(re.compile(r"^4:00\sPM for the patient in London$"))
    expect(page.locator(f"#visit-{ada} .patient-time")).to_have_count(0)  # Ada's clock reads as the site's
    w.check()

    page.get_by_role("link", name="Next day →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Clinic on Tue, Mar 2, 2027"))
    expect(page.get_by_role("status")).to_contain_text("No clinic that day")
    page.get_by_label("Go to a day").fill("2027-03-08")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/clinic/today\?date=2027-03-08$"))
    expect(page.locator(".clinic-table")).to_contain_text("Bob")
    w.check()

    page.get_by_role("link", name="Week of this day").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mon, Mar 8 – Sun, Mar 14, 2027")
    expect(page.locator("#week-2027-03-08")).to_contain_text("Bob")
    w.check()
    page.get_by_role("link", name="← Previous week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mon, Mar 1 – Sun, Mar 7, 2027")
    monday = page.locator("#week-2027-03-01")
    expect(monday).to_contain_text("Ada")
    expect(monday).to_contain_text("for the patient in London")
    w.check()
    monday.get_by_role("link", name=re.compile(r"^Mon, Mar 1\s?: open the day$")).click()
    expect(page).to_have_url(re.compile(r"/clinic/today\?date=2027-03-01$"))

    page.get_by_role("link", name="Reason and intake answers of Ada").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada")
    answers = page.locator(".answers")
    expect(answers).to_contain_text("Pain spreading into an arm or leg")
    expect(answers).to_contain_text("Pain down the left leg when I sit.")
    w.check()

    page.goto("/clinic/week?date=2027-02-30")
    expect(page.locator("#problem")).to_contain_text("We couldn't read “2027-02-30” as a date.")
    expect(page.locator("#problem")).to_be_focused()
    w.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_no_show_on_the_schedule_asks_on_a_page_of_its_own_first(pages, clinic, size):
    cy = _book(clinic, "cy", "2027-03-01", "09:00", mode="in_person")  # started: it can be marked
    w = Watched(pages, DOC, SIZES[size])
    page = w.page
    page.goto(f"/clinic/visits/{cy}")
    page.get_by_role("link", name="Mark as no-show…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark Cy as a no-show?")
    w.check()
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cy")
    assert _status(clinic, cy) == "booked"
    page.get_by_role("link", name="Mark as no-show…").click()
    page.get_by_role("button", name="Yes, mark as a no-show").click()
    expect(page.locator(".flash")).to_have_text("Marked Cy as a no-show.")
    expect(page.locator(f"#visit-{cy}")).to_contain_text("no show")
    assert _status(clinic, cy) == "no_show"
    w.check()


def _dialog(page):
    return page.get_by_role("dialog")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_waiting_room_asks_in_a_dialog_before_a_no_show(pages, clinic, size):
    dee = _book(clinic, "dee", "2027-03-01", "09:00")
    clinic.set_status(dee, "checked_in")  # in the line, past its start
    w = Watched(pages, DOC, SIZES[size])
    page = w.page
    page.goto("/clinic")
    expect(page.locator("#my-status")).to_have_text("Available")
    no_show = page.get_by_role("button", name="No-show: Dee")
    no_show.click()
    dialog = _dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Mark Dee as a no-show?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice first
    w.check()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(no_show).to_be_focused()
    assert _status(clinic, dee) == "checked_in"
    no_show.click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _status(clinic, dee) == "checked_in"
    no_show.click()
    dialog.get_by_role("button", name="Yes, mark as a no-show").click()
    expect(page.locator(f"#appt-{dee}")).to_have_count(0)
    assert _status(clinic, dee) == "no_show"
    w.check()


def _in_view(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, selector
    inside = box["x"] >= 0 and box["y"] >= 0
    inside = inside and box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]
    assert inside, (selector, box, size)
    return box


def test_admitted_the_video_sits_in_view_at_1440_by_900_and_end_visit_asks_first(pages, clinic):
    eve = _book(clinic, "eve", "2027-03-01", "09:30")
    w = Watched(pages, DOC, DESK)
    doc = w.page
    doc.goto("/clinic")
    expect(doc.locator("#my-status")).to_have_text("Available")
    patient = pages.signed_in("eve@x.org", viewport=PHONE)
    _check_in(patient, eve)
    doc.get_by_role("button", name="Admit: Eve").click()
    _in_call(doc)
    _in_call(patient)
    assert doc.evaluate("window.scrollY") == 0  # in view without scrolling
    box = _in_view(doc, "#remote-video")
    assert box["width"] >= 480, box  # and not shrunk to a thumbnail
    _in_view(doc, "#video .controls")
    line = "document.querySelector('#line').parentElement"  # the line beside it: every action in reach
    assert doc.evaluate(f"{line}.scrollWidth <= {line}.clientWidth")
    w.check()

    doc.locator("#video").get_by_role("button", name="End visit").click()
    dialog = _dialog(doc)
    expect(dialog.get_by_role("heading")).to_have_text("End the visit with Eve?")
    w.check()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _status(clinic, eve) == "in_visit"
    expect(doc.locator("#video")).to_be_visible()
    doc.locator("#video").get_by_role("button", name="End visit").click()
    dialog.get_by_role("button", name="Yes, end the visit").click()
    expect(patient.get_by_role("heading", name="Your visit has ended")).to_be_visible()
    expect(doc.locator("#video")).to_be_hidden()
    assert _status(clinic, eve) == "completed"
    w.check()
