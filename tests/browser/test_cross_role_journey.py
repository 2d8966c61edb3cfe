"""One journey across the roles on one live server, in headless Chromium at phone, tablet and desk sizes.

1. A London patient signs up, answers the first-visit intake (no red flag) and books a video second opinion
   with a Cleveland surgeon through Find care; the confirmation and My appointments show both clocks.
2. A scheduler, in another browser, finds the visit in the calendar and moves it to Monday 15 March, when
   Cleveland is already on summer time (EDT) and London not yet (GMT): four hours apart instead of five.
3. The patient reloads and sees the new time on both clocks; once the jobs have run (`flask jobs run-once`,
   what `serve --with-jobs` does every few seconds), the dev outbox shows her confirmation and "moved" emails.
4. Another new patient's intake has a red flag: the urgent page (emergency number, the clinic's urgent line),
   and the case is in the schedulers' urgent queue.
5. A patient checks in to a video visit today; Dr. Okafor's clinic lists them, she admits them, and the
   patient's page turns into the video visit.

axe-core runs on every page the journey shows: no serious or critical violation, no sideways scrolling.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import Appointment, Clinician, Location, User, VisitType
from televisit.services.auth import actor_of
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from tests import factories as f
from tests.browser.account_support import confirm_and_sign_in
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.patient_support import OKAFOR, VIEWPORTS, patients_fixture, program_fixture
from tests.browser.test_patient_journey import _intake, _sign_up_in_london
from tests.browser.test_video_visit import _check_in
from tests.factories import PASSWORD

assert patients_fixture and program_fixture  # fixtures `patients` and `program`, used by name below

CLEVELAND, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
SCHEDULER, CLINIC_PATIENT = "sam.scheduler@example.org", "kim@example.org"
LOU, RITA, KIM = "Lou London", "Rita Redflag", "Kim Ohio"
MOVED_TO = datetime(2027, 3, 15, 14, 0, tzinfo=timezone.utc)  # Mon 15 Mar 10:00 EDT = 14:00 GMT
MOVED_BOTH_CLOCKS = "Mon 15 Mar 2027, 10:00 EDT (Mon 15 Mar 2027, 14:00 GMT your time)"  # as messages write it
MOVED_OWN_FIRST = "Mon 15 Mar 2027, 14:00 your time (10:00 in Cleveland)"  # as her pages write it
BLADDER = "New loss of bladder or bowel control (or you cannot pass urine)"
WAIT = 30_000  # ms, for pages that wait on the server, sockets or WebRTC: two cores shared with other runs


def _check(page) -> None:
    """Every page of the journey: no sideways scrolling, no serious or critical axe finding."""
    assert horizontal_overflow(page) == 0, page.url
    assert_accessible(page)


def _message_clocks(instant: datetime) -> str:
    """How messages write it for her: the site's clock with its abbreviation, then hers ('your time')."""

    def uk(zone: ZoneInfo) -> str:
        t = instant.astimezone(zone)
        return f"{t:%a} {t.day} {t:%b} {t.year}, {t:%H:%M} {t.tzname()}"

    return f"{uk(CLEVELAND)} ({uk(LONDON)} your time)"


def _both_clocks(instant: datetime) -> str:
    """The London patient's pages on a Cleveland visit: her own date and clock, then the site's by its city."""
    t, site = instant.astimezone(LONDON), instant.astimezone(CLEVELAND)
    return f"{t:%a} {t.day} {t:%b} {t.year}, {t:%H:%M} your time ({site:%H:%M} in Cleveland)"


def _desk_time(instant: datetime) -> str:
    """'10:00 AM EST': the Cleveland clock as the (US) desk shows it."""
    t = instant.astimezone(CLEVELAND)
    return f"{t:%I:%M %p}".lstrip("0") + f" {t.tzname()}"


def _start_of(journey, appointment_id: int) -> datetime:
    """The appointment's start as stored (UTC), read from the server's database."""
    with journey.app.app_context():
        start = db.session.get(Appointment, appointment_id).start_at
        db.session.commit()  # end the transaction: on SQLite an open one would hold the server's writes
    return start


def _status_of(journey, appointment_id: int) -> str:
    with journey.app.app_context():
        status = db.session.get(Appointment, appointment_id).status
        db.session.commit()
    return status


@pytest.fixture(name="journey")
def journey_fixture(program):
    """patient_support's program (Dr. Okafor of Cleveland, also licensed in GB) plus the journey's other people:
    a scheduler, Dr. Okafor's own sign-in, and an Ohio patient for today's clinic."""
    with program.app.app_context():
        f.user(SCHEDULER, "scheduler", name="Sam Scheduler")
        f.user(OKAFOR, "clinician", name="Dr. Amara Okafor")
        f.user(CLINIC_PATIENT, "patient", region="US-OH", name=KIM)
        db.session.commit()
    return program


def _book_todays_video_visit(journey) -> int:
    """Kim's video follow-up with Dr. Okafor at the next half hour of today's clinic (its waiting room open now),
    booked at the desk yesterday; returns the appointment id."""
    now = journey.server.clock_now()
    local = now.astimezone(CLEVELAND)
    start = local.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=30 if local.minute < 29 else 60)
    assert start.hour < 12, "Dr. Okafor's Monday morning clinic is over: the live server has run too long"
    with journey.app.app_context():
        one = db.session.scalars
        okafor = one(select(Clinician).where(Clinician.email == OKAFOR)).one()
        site = one(select(Location).where(Location.name == "Cleveland Main Campus")).one()
        follow_up = one(select(VisitType).where(VisitType.name == "Follow-up")).one()
        kim = one(select(User).where(User.email == CLINIC_PATIENT)).one()
        desk = actor_of(one(select(User).where(User.email == SCHEDULER)).one())
        slot = SlotRequest(follow_up.id, okafor.id, site.id, "virtual", start, "US-OH")
        request = booking.BookingRequest(slot, kim.patient_id)
        appt = booking.book(db.session, request, actor=desk, now=now - timedelta(days=1))
        appointment_id = appt.id
        db.session.commit()
    return appointment_id


def _book_in_london(lou) -> str:
    """Find care: a video second opinion with the Cleveland team, from Britain, after an intake without red flags.

    Returns the time the confirmation step showed."""
    lou.get_by_role("link", name="Find care").first.click()
    lou.get_by_label("Second opinion").check()
    lou.get_by_label("Video visit", exact=True).check()
    lou.get_by_label("Which site?").select_option(label="Cleveland Main Campus, Cleveland")
    expect(lou.get_by_label("Where will you be during the video visit?")).to_have_value("GB")
    _check(lou)
    lou.get_by_role("button", name="Show first available times").click()
    _intake(lou, urgent="None of these")

    expect(lou.get_by_role("heading", name="First available times")).to_be_visible()
    slot = lou.locator("a.slot", has_text="Dr. Amara Okafor").first
    expect(slot.locator(".own")).to_have_text(re.compile(r"^\d{2}:\d{2}$"))  # her own clock first (24-hour, UK)
    expect(slot).to_contain_text(re.compile(r"\d{2}:\d{2} in Cleveland"))
    _check(lou)
    slot.click()
    expect(lou.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    _check(lou)
    confirmed = " ".join(lou.locator("dd.when").inner_text().split())
    lou.get_by_role("button", name="Book this time").click()
    expect(lou.get_by_text("You're booked.")).to_be_visible(timeout=WAIT)
    return confirmed


def _outbox_row(page, email: str, kind: str):
    """The dev outbox's row of `kind` (confirmation, moved, ...) sent to `email`."""
    rows = page.locator("table.outbox tbody tr", has_text=email)
    return rows.filter(has=page.locator("td:nth-child(4)", has_text=re.compile(f"^{kind}$")))


def _red_flag_intake(page, email: str, server) -> None:
    """A new Ohio patient signs up and answers the intake with a red flag."""
    page.goto("/signup")
    expect(page.get_by_label("Your time zone")).to_have_value("America/New_York")  # guessed from the browser
    page.get_by_label("Full name").fill(RITA)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Where you live").select_option(label="Ohio")
    page.get_by_role("button", name="Create account").click()
    confirm_and_sign_in(page, server, email)  # issue 12: the address is confirmed by email first
    expect(page.get_by_role("heading", name="No visits yet")).to_be_visible()
    page.get_by_role("link", name="Find care").first.click()
    page.get_by_label("New consultation").check()
    page.get_by_label("In person", exact=True).check()
    page.get_by_role("button", name="Show first available times").click()
    _intake(page, urgent=BLADDER)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_video_visit_across_patient_scheduler_and_clinician(patients, pages, journey, size):
    viewport, server = VIEWPORTS[size], journey.server

    # 1. The London patient books a video second opinion with Cleveland and sees both clocks.
    lou_email = f"lou-{size}@example.org"
    lou = patients.page(viewport, zone="Europe/London")
    _sign_up_in_london(lou, lou_email, server)
    confirmed = _book_in_london(lou)
    appointment_id = int(re.search(r"/appointments/(\d+)$", lou.url)[1])
    booked = _start_of(journey, appointment_id)
    assert booked.astimezone(CLEVELAND).tzname() == "EST" and booked.astimezone(LONDON).tzname() == "GMT"
    assert confirmed == _both_clocks(booked)  # what the confirmation step showed is what was booked
    expect(lou.locator("dd.when")).to_have_text(_both_clocks(booked))  # e.g. 10:00 EST and 15:00 GMT
    _check(lou)
    lou.get_by_role("link", name="My appointments").first.click()
    visit = lou.locator(".visit", has_text="Second opinion with Dr. Amara Okafor")
    expect(visit.locator(".when")).to_have_text(_both_clocks(booked))
    _check(lou)
    server.run_jobs_once()  # the confirmation goes out (under `serve --with-jobs` within seconds)

    # 2. A scheduler finds it in the calendar and moves it to another time.
    desk = pages.signed_in(SCHEDULER, viewport=viewport)
    desk.get_by_role("link", name="Schedule", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Calendar")
    desk.get_by_label("Date", exact=True).fill(booked.astimezone(CLEVELAND).date().isoformat())
    desk.get_by_role("button", name="Show").click()
    # on the time grid, which replaces the list when JavaScript runs: one visit, named by time, patient, mode
    entry = desk.get_by_role("button", name=re.compile(rf"^{re.escape(_desk_time(booked))} {LOU} .*Video"))
    expect(entry).to_be_visible()
    _check(desk)
    entry.click()
    desk.get_by_role("dialog").get_by_role("link", name="Open the visit").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(LOU)
    _check(desk)
    desk.get_by_label("From", exact=True).fill("2027-03-15")
    desk.get_by_role("button", name="Find times").click()
    monday = desk.locator(".slot-day", has=desk.get_by_role("heading", name=re.compile("Mar 15")))
    target = monday.get_by_role("button", name="Move to 10:00 AM EDT")
    expect(target).to_contain_text("patient's time 2:00 PM GMT")
    _check(desk)
    target.click()
    expect(desk.locator(".flash")).to_contain_text(f"Moved. {LOU} will get a message with the new time.")
    expect(desk.locator("#summary")).to_contain_text("10:00 AM EDT")
    _check(desk)
    assert _start_of(journey, appointment_id) == MOVED_TO

    # 3. The patient sees the new time on both clocks; the dev outbox has both of her emails.
    lou.reload()  # still on My appointments
    expect(visit.locator(".when")).to_have_text(MOVED_OWN_FIRST)
    expect(lou.locator(".visit .when", has_text=_both_clocks(booked))).to_have_count(0)
    _check(lou)
    visit.get_by_role("link").click()
    expect(lou).to_have_url(re.compile(f"/appointments/{appointment_id}$"))
    expect(lou.locator("dd.when")).to_have_text(MOVED_OWN_FIRST)
    _check(lou)
    server.run_jobs_once()  # the "moved" email goes out
    desk.goto("/dev/outbox")
    confirmation, moved = _outbox_row(desk, lou_email, "confirmation"), _outbox_row(desk, lou_email, "moved")
    expect(confirmation).to_have_count(1)
    expect(confirmation.locator("td:nth-child(6)")).to_have_text("sent")  # Status
    expect(confirmation).to_contain_text(f"Your appointment is booked: {_message_clocks(booked)}")
    expect(moved).to_have_count(1)
    expect(moved.locator("td:nth-child(6)")).to_have_text("sent")  # Status
    expect(moved).to_contain_text(f"Your appointment has moved: {MOVED_BOTH_CLOCKS}")
    _check(desk)

    # 4. A red flag in another new patient's intake: the urgent page, then the schedulers' urgent queue.
    rita_email = f"rita-{size}@example.org"
    rita = patients.page(viewport, zone="America/New_York")
    _red_flag_intake(rita, rita_email, server)
    expect(rita.get_by_role("heading", name="Please seek emergency care now")).to_be_visible()
    expect(rita.get_by_role("alert")).to_contain_text("new loss of bladder or bowel control")
    expect(rita.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    # the clinic's US line, in US national format for a US patient (issue 12, item 17)
    expect(rita.get_by_role("link", name="(216) 555-0199")).to_have_attribute("href", "tel:+12165550199")
    _check(rita)
    desk.goto("/schedule")
    desk.get_by_role("link", name=re.compile(r"^Urgent \(\d+\)$")).click()  # the open cases counted
    case = desk.locator("article.urgent", has_text=RITA)
    expect(case).to_contain_text("new loss of bladder or bowel control")
    expect(case.get_by_role("link", name=rita_email)).to_be_visible()
    _check(desk)

    # 5. A patient checks in for today's video visit; Dr. Okafor admits them from her clinic.
    visit_id = _book_todays_video_visit(journey)
    doc = pages.signed_in(OKAFOR, viewport=viewport)
    doc.get_by_role("link", name="Waiting room").first.click()
    expect(doc.get_by_role("heading", level=1)).to_have_text("Clinic · Dr. Amara Okafor")
    expect(doc.locator("#my-status")).to_have_text("Available", timeout=WAIT)
    _check(doc)
    kim = pages.signed_in(CLINIC_PATIENT, viewport=viewport)
    _check_in(kim, visit_id)
    _check(kim)
    row = doc.locator(f"#appt-{visit_id}")
    expect(row.get_by_role("rowheader")).to_have_text(KIM, timeout=WAIT)
    expect(row.locator(".connection")).to_have_text("Connected")
    _check(doc)
    row.get_by_role("button", name=f"Admit: {KIM}").click()
    expect(kim.locator("#room")).to_have_attribute("data-phase", "visit", timeout=WAIT)
    expect(kim.get_by_role("heading", name="Video call")).to_be_visible()
    expect(kim.locator("#call-status")).to_have_attribute("data-call-state", "connected", timeout=WAIT)
    expect(doc.locator("#video")).to_be_visible()
    assert _status_of(journey, visit_id) == "in_visit"
    _check(kim)
