"""Patient identity at the desk in a real Chromium, on a 390 px phone and at a 1440x900 desk: a scheduler finds a
patient by the phone number in national form, opens their record (name, birth date, MRN and every section), and
registers a new patient whose name and birth date match a record, which the form shows before anything is made.
Every page is axe-core clean, fits the screen and logs no console error."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from televisit.extensions import db
from televisit.models import Patient
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.desk_support import DESK, PHONE, SCHEDULER, desk_fixture  # noqa: F401

SIZES = {"desk": DESK, "phone": PHONE}
# A refused form answers 409 or 422 with the page and its message: Chromium logs that status as a console error,
# which is the refusal the test asks for, not a fault of the page.
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (409|422) ")


@pytest.fixture(name="known")
def known_fixture(live, desk):
    """The desk program (tests/browser/desk_support.py) with the London patient's birth date, MRN and UK mobile."""
    with live.app.app_context():
        london = db.session.query(Patient).filter_by(email="pat@example.org").one()
        london.name, london.date_of_birth, london.mrn = "Harriet Cole", date(1949, 11, 2), "LON-118203"
        london.phone, london_id = "+447700900123", london.id
        db.session.commit()
        db.session.remove()  # no transaction left open: on SQLite it would hold the server's writes
        yield london_id


class Watched:
    """A signed-in page whose console errors and uncaught exceptions are collected."""

    def __init__(self, pages, size: str):
        self.page = pages.signed_in(SCHEDULER, viewport=SIZES[size])
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
def test_a_scheduler_finds_a_patient_by_a_national_phone_number_and_opens_their_record(pages, known, size):
    w = Watched(pages, size)
    page = w.page
    page.goto("/schedule")
    page.get_by_role("link", name="Patients", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    page.get_by_label("Name, MRN, date of birth or phone").fill("h")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#q-error")).to_have_text(re.compile("at least two characters"))
    expect(page.get_by_text("No patient matches")).to_have_count(0)
    w.check()
    page.get_by_label("Name, MRN, date of birth or phone").fill("07700 900123")  # as a UK patient says it
    page.get_by_role("button", name="Search").click()
    found = page.get_by_role("list", name="Patients found").get_by_role("listitem")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("born Nov 2, 1949")
    expect(found).to_contain_text("MRN LON-118203")
    w.check()
    found.get_by_role("link", name="Harriet Cole", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Harriet Cole")
    expect(page.locator(".ident-line")).to_contain_text("born Nov 2, 1949 · MRN LON-118203")
    for section in ("Visits", "Clinic days and courses", "Intake answers", "Urgent cases", "Waitlist"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Messages sent")).to_be_visible()
    expect(page.get_by_role("heading", name="Who opened this record")).to_be_visible()
    w.check()
    before = page.locator("#opened tbody tr").count()  # the audit trail outlives the test data: count, not zero
    page.reload()  # this opening was recorded after the page was sent: the reload lists it first
    expect(page.locator("#opened tbody tr")).to_have_count(before + 1)
    expect(page.locator("#opened tbody tr").first).to_contain_text("sched (scheduler)")
    expect(page.locator("#opened tbody tr").first).to_contain_text("opened this record")
    w.check()


@pytest.mark.parametrize("size", list(SIZES))
def test_registering_a_patient_with_a_registered_name_and_birth_date_shows_the_record_first(pages, known, size):
    w = Watched(pages, size)
    page = w.page
    page.goto("/schedule/book")
    form = page.locator("form[action='/schedule/patients']")
    form.get_by_label("Full name").fill("harriet  COLE")
    form.get_by_label("Date of birth").fill("1949-11-02")
    form.get_by_role("textbox", name="Email").fill("h.cole@example.org")
    form.get_by_label("Mobile phone").fill("020 7946 0123")
    form.get_by_label("State or country").select_option(label="United Kingdom")
    form.get_by_role("button", name="Register and continue").click()
    likely = page.locator("#likely-patients")
    expect(likely).to_contain_text("Already registered?")
    expect(likely).to_contain_text("Same name and date of birth")
    expect(likely).to_contain_text("born Nov 2, 1949 · MRN LON-118203")
    record = likely.get_by_role("link", name="Harriet Cole", exact=True)
    expect(record).to_have_attribute("href", f"/schedule/patients/{known}")
    expect(page.get_by_label("Date of birth", exact=True)).to_have_value("1949-11-02")  # what was typed is kept
    w.check()
    page.get_by_role("button", name="None of these: register a new patient").click()
    expect(page.locator(".flash")).to_contain_text("harriet  COLE is registered")
    expect(page.locator(".ident-line")).to_contain_text("born Nov 2, 1949 · no MRN")
    w.check()
