"""Issue 14's urgent flow in Chromium at a 390 px phone and a 1440 × 900 desk, axe-core clean, clean consoles:

1. A UK patient's red flags lead to the urgent page, which names the United Kingdom's numbers (999, the clinic's UK
   line); the desk sees the open case counted in its navigation and the patient's own words, is refused a blank
   resolution note in words, resolves with a note, and finds the case under "Resolved" with who and when.
2. A patient checking in for a video visit first answers "since booking, any of these?": no answer is refused in
   words; "Yes" leads to the urgent page (an urgent case for the desk, no check-in); "No" checks in.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import UrgentCase
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.patient_support import VIEWPORTS, patients_fixture, program_fixture
from tests.browser.test_console_clean import Watch

assert patients_fixture and program_fixture  # fixtures `patients` and `program`, used by name below
SIZES = {"phone": VIEWPORTS["phone"], "desk": VIEWPORTS["desk"]}
LOU, SAM = "Lou London", "Sam Scheduler"
OWN_WORDS = "My legs gave way on the stairs this morning"


def _checked(page, watch: Watch) -> None:
    """axe-core clean, nothing wider than the screen, a clean console so far."""
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    assert horizontal_overflow(page) == 0
    assert watch.problems == [], watch.problems


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(f.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _red_flag_intake(page) -> None:
    page.get_by_role("link", name="Find care").first.click()
    page.get_by_label("New consultation").check()
    page.get_by_label("In person", exact=True).check()
    page.get_by_role("button", name="Show first available times").click()
    expect(page.get_by_role("heading", name="Before your first visit")).to_be_visible()
    page.get_by_label("New weakness in your legs or arms, or new trouble walking").check()
    page.get_by_label("Weakness in an arm or leg").check()
    page.get_by_label("Less than a week").check()
    page.get_by_label("Getting better").check()
    page.get_by_label("Severely: I need help with everyday tasks").check()
    page.locator("#prior_tumor-no").check()
    page.locator("#family_history-no").check()
    page.get_by_label("Tell us more (optional)").fill(OWN_WORDS)
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("size", list(SIZES))
def test_red_flags_name_the_countrys_numbers_and_the_desk_resolves_the_case_with_a_note(patients, program, size):
    lou_email, sam_email = f"lou-{size}@example.org", f"sam-{size}@example.org"
    with program.app.app_context():
        f.user(lou_email, "patient", tz="Europe/London", region="GB", name=LOU)
        f.user(sam_email, "scheduler", name=SAM)
        db.session.commit()

    patient = patients.page(SIZES[size], zone="Europe/London")
    patient_watch = Watch(patient)
    _sign_in(patient, lou_email)
    _red_flag_intake(patient)
    expect(patient.get_by_role("heading", name="Please seek emergency care now")).to_be_visible()
    alert = patient.get_by_role("alert")
    expect(alert).to_contain_text("Call 999 or go to A&E now.")
    expect(alert).to_contain_text("999 is the emergency number in the United Kingdom.")
    expect(patient.get_by_role("heading", name="Our urgent line in the United Kingdom")).to_be_visible()
    expect(patient.get_by_role("link", name="020 7946 0999")).to_have_attribute("href", "tel:+442079460999")
    assert "911" not in patient.locator("main").inner_text()
    _checked(patient, patient_watch)

    desk = patients.page(SIZES[size])
    desk_watch = Watch(desk)
    _sign_in(desk, sam_email)
    # a scheduler lands on the calendar (its grid may note the view in the URL), not the home page
    expect(desk).to_have_url(re.compile(r"/schedule(\?[^/]*)?$"))
    desk.wait_for_load_state("networkidle")  # the grid's script and JSON, before leaving the page
    nav = desk.get_by_role("navigation", name="Desk")
    nav.get_by_role("link", name="Urgent (1)").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Urgent queue")
    case = desk.locator("article.urgent", has=desk.get_by_role("heading", name=LOU))
    expect(case).to_contain_text(f"“{OWN_WORDS}”")
    expect(case).to_contain_text("new weakness or trouble walking")
    expect(case.locator(".their-time")).to_contain_text("GMT in London, the patient's time")
    expect(case.locator(".desk-time")).to_contain_text("EST")
    expect(case).to_contain_text("No earlier intake or urgent case.")
    _checked(desk, desk_watch)

    case.get_by_role("button", name=f"Resolve the case of {LOU}").click()  # no note
    problem = desk.get_by_role("alert")
    expect(problem).to_be_focused()  # the desk's pages move focus to a refusal's message
    link = problem.get_by_role("link", name=re.compile("Please write what was done before resolving the case"))
    note = desk.get_by_label("What was done (required)")
    expect(link).to_have_attribute("href", f"#{note.get_attribute('id')}")  # the message leads to the field
    expect(note).to_have_attribute("aria-invalid", "true")
    refused = [p for p in desk_watch.problems if "/resolve" in p and "422" in p]  # the refusal's own status
    assert len(refused) == len(desk_watch.problems) == 2, desk_watch.problems  # its answer, and Chromium's log of it
    desk_watch.problems.clear()
    _checked(desk, desk_watch)
    with program.app.app_context():
        assert db.session.scalars(select(UrgentCase.status)).one() == "open"
        db.session.commit()

    note.fill("Called; she is on her way to A&E")
    desk.get_by_role("button", name=f"Resolve the case of {LOU}").click()
    expect(desk.get_by_role("status").first).to_contain_text(f"Resolved the urgent case of {LOU}")
    expect(nav.get_by_role("link", name="Urgent (0)")).to_be_visible()
    expect(desk.get_by_text("No urgent cases.")).to_be_visible()
    desk.get_by_role("navigation", name="Urgent cases").get_by_role("link", name="Resolved").click()
    done = desk.locator("article.urgent", has=desk.get_by_role("heading", name=LOU))
    expect(done.locator(".resolved-by")).to_contain_text(f"by {SAM}")
    expect(done.locator(".resolved-by")).to_contain_text(re.compile(r"Resolved Mon, Mar 1, 2027, \d+:\d\d [AP]M EST"))
    expect(done).to_contain_text("Called; she is on her way to A&E")
    _checked(desk, desk_watch)


def _book(clinic, who: str, hhmm: str, doc: str = "doc") -> int:
    appointment_id = clinic.book(who, hhmm, doc=doc)
    db.session.commit()
    return appointment_id


@pytest.mark.parametrize("size", list(SIZES))
def test_checking_in_first_confirms_no_new_red_flag_symptoms(pages, clinic, size):
    yes_visit, no_visit = _book(clinic, "ada", "09:30"), _book(clinic, "bob", "09:30", "other_doc")

    ada = pages.signed_in("ada@x.org", viewport=SIZES[size])
    watch = Watch(ada)
    ada.goto(f"/waiting-room/{yes_visit}")
    question = ada.get_by_role("group", name="Since booking, have you had any of these?")
    expect(question).to_contain_text("New loss of bladder or bowel control")
    expect(question).to_contain_text("New weakness in your legs or arms, or new trouble walking")
    _checked(ada, watch)
    ada.get_by_role("button", name="Check in").click()  # not answered yet
    expect(ada.locator("#precheck-error")).to_have_text(
        "Please say whether you have had any of these symptoms since booking."
    )
    expect(ada.get_by_label("No, none of these")).to_be_focused()
    ada.get_by_label("Yes, at least one").check()
    ada.get_by_role("button", name="Check in").click()
    expect(ada).to_have_url(re.compile(rf"/waiting-room/{yes_visit}/urgent$"))
    expect(ada.get_by_role("heading", name="Please seek emergency care now")).to_be_visible()
    expect(ada.get_by_role("alert")).to_contain_text("so we have not checked you in for your video visit")
    expect(ada.get_by_role("link", name="911", exact=True)).to_have_attribute("href", "tel:911")
    _checked(ada, watch)
    case = db.session.scalars(select(UrgentCase)).one()
    assert (case.source, case.appointment_id, case.status) == ("check_in", yes_visit, "open")
    db.session.commit()
    assert clinic.appointment(yes_visit)["status"] == "booked"

    bob = pages.signed_in("bob@x.org", viewport=SIZES[size])
    bob_watch = Watch(bob)
    bob.goto(f"/waiting-room/{no_visit}")
    bob.get_by_label("No, none of these").check()
    bob.get_by_label("I agree to have this visit by video.").check()
    bob.get_by_role("button", name="Check in").click()
    expect(bob.get_by_role("heading", name="You're checked in")).to_be_visible()
    _checked(bob, bob_watch)
    assert clinic.appointment(no_visit)["status"] == "checked_in"
    assert len(db.session.scalars(select(UrgentCase)).all()) == 1
    db.session.commit()
