"""The waiting room and video visit in a real browser: two Chromium contexts against a live server.

The patient (a 390 px phone) signs in, does the pre-visit check, checks in and waits; the clinician (a desk)
sees them live, and admits them; both pages reach a connected WebRTC call with Chromium's fake camera.
"""

from __future__ import annotations

from playwright.sync_api import expect

from televisit.extensions import db
from tests.browser.conftest import PHONE, horizontal_overflow

CALL = 30_000  # ms: ICE on loopback is quick, but two pages share two CPU cores with the server


def _book(clinic, who: str, hhmm: str) -> int:
    """Book, then end the test process's transaction (on SQLite an open one would hold the server's write lock)."""
    appointment_id = clinic.book(who, hhmm)
    db.session.commit()
    return appointment_id


def _check_in(patient, appointment_id: int) -> None:
    patient.goto(f"/waiting-room/{appointment_id}")
    expect(patient.get_by_label("Where are you right now?")).to_have_value("US-OH")  # as booked
    patient.get_by_role("button", name="Test my camera and microphone").click()
    expect(patient.locator("#media-status")).to_have_text("Your camera and microphone work. You should see yourself.")
    patient.wait_for_function("() => document.getElementById('preview').videoWidth > 0")  # CSP: a function
    patient.get_by_label("No, none of these").check()  # no new red-flag symptoms since booking
    patient.get_by_label("I agree to have this visit by video.").check()
    patient.get_by_role("button", name="Check in").click()
    expect(patient.get_by_role("heading", name="You're checked in")).to_be_visible()


def _in_call(page) -> None:
    expect(page.locator("#call-status")).to_have_attribute("data-call-state", "connected", timeout=CALL)
    page.wait_for_function("() => document.getElementById('remote-video').videoWidth > 0", timeout=CALL)


def test_check_in_admit_and_both_sides_connect_by_video(pages, clinic):
    appointment_id = _book(clinic, "ada", "09:10")
    doc = pages.signed_in("doc@x.org")
    doc.goto("/clinic")
    expect(doc.locator("#my-status")).to_have_text("Available")
    expect(doc.locator("#line-empty")).to_be_visible()

    patient = pages.signed_in("ada@x.org", viewport=PHONE)
    _check_in(patient, appointment_id)
    expect(patient.locator("#position")).to_have_text("You're next")
    expect(patient.locator("#clinician-status")).to_have_text("Available")
    assert horizontal_overflow(patient) == 0

    row = doc.locator(f"#appt-{appointment_id}")
    expect(row.get_by_role("rowheader")).to_have_text("Ada")
    expect(row.locator(".connection")).to_have_text("Connected")
    expect(row).to_contain_text("9:10 AM EST")  # the site's clock, with its zone
    expect(row).to_contain_text("US-OH")

    doc.get_by_role("button", name="Admit: Ada").click()
    _in_call(patient)
    _in_call(doc)
    assert clinic.appointment(appointment_id)["status"] == "in_visit"
    expect(patient.locator("#call-status")).to_have_text("Connected.")
    assert horizontal_overflow(patient) == 0

    doc.get_by_role("button", name="End visit").first.click()
    doc.get_by_role("dialog").get_by_role("button", name="Yes, end the visit").click()  # it asks first
    expect(patient.get_by_role("heading", name="Your visit has ended")).to_be_visible()
    expect(doc.locator("#video")).to_be_hidden()
    assert clinic.appointment(appointment_id)["status"] == "completed"


def test_the_call_comes_back_after_a_reload_and_after_hanging_up(pages, clinic):
    appointment_id = _book(clinic, "cy", "09:10")
    doc = pages.signed_in("doc@x.org")
    doc.goto("/clinic")
    patient = pages.signed_in("cy@x.org", viewport=PHONE)
    _check_in(patient, appointment_id)
    doc.get_by_role("button", name="Admit: Cy").click()
    _in_call(patient)
    _in_call(doc)

    patient.reload()  # the page knows the visit is on and joins it again
    _in_call(patient)
    _in_call(doc)

    patient.get_by_role("button", name="Hang up").click()
    expect(patient.locator("#call-status")).to_have_attribute("data-call-state", "ended")
    expect(doc.locator("#call-status")).to_have_text("Your patient left the call. Stay on this page; they can rejoin.")
    patient.get_by_role("button", name="Rejoin the call").click()
    _in_call(patient)
    _in_call(doc)

    patient.get_by_role("button", name="Mute").click()
    expect(patient.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    assert patient.evaluate("document.getElementById('local-video').srcObject.getAudioTracks()[0].enabled") is False


def test_waiting_is_live_and_survives_a_dropped_connection(pages, clinic):
    appointment_id = _book(clinic, "bob", "09:10")
    doc = pages.signed_in("doc@x.org")
    doc.goto("/clinic")
    patient = pages.signed_in("bob@x.org", viewport=PHONE)
    _check_in(patient, appointment_id)
    row = doc.locator(f"#appt-{appointment_id}")

    doc.get_by_label("Running late by (minutes)").fill("10")
    doc.get_by_role("button", name="Running late").click()
    expect(patient.locator("#clinician-status")).to_have_text("Running late by 10 min")
    expect(doc.locator("#my-status")).to_have_text("Running late by 10 min")

    patient.get_by_label("Message the clinic staff").fill("My camera is ready.")
    patient.get_by_role("button", name="Send message").click()
    expect(doc.locator("#messages")).to_contain_text("Bob")
    expect(doc.locator("#messages")).to_contain_text("My camera is ready.")
    doc.get_by_role("button", name="Message: Bob").click()
    doc.get_by_label("Message", exact=True).fill("Thanks, a few more minutes.")
    doc.get_by_role("button", name="Send", exact=True).click()
    expect(patient.locator("#messages")).to_contain_text("Thanks, a few more minutes.")

    patient.context.set_offline(True)  # the socket drops: a visible banner, the clinic sees it
    expect(patient.locator("#banner")).to_have_text("Reconnecting…")
    expect(row.locator(".connection")).to_have_text("Not connected")
    patient.context.set_offline(False)
    expect(patient.locator("#banner")).to_be_hidden(timeout=CALL)
    expect(row.locator(".connection")).to_have_text("Connected")
    expect(patient.locator("#position")).to_have_text("You're next")  # checked in again, same place
    assert clinic.appointment(appointment_id)["status"] == "checked_in"


def test_a_refused_camera_gets_a_clear_message(pages, clinic):
    appointment_id = _book(clinic, "cy", "09:10")
    refuse = (
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));"
    )
    patient = pages.page(viewport=PHONE, init_script=refuse)
    patient.goto(f"/waiting-room/{appointment_id}?join={clinic.join_token(appointment_id)}")  # a reminder's link
    patient.get_by_role("button", name="Test my camera and microphone").click()
    expect(patient.locator("#media-status")).to_contain_text("Camera or microphone permission was refused.")
    expect(patient.locator("#preview")).to_be_hidden()


def test_a_patient_out_of_licence_is_flagged_and_cannot_be_admitted(pages, clinic):
    appointment_id = _book(clinic, "eve", "09:10")
    doc = pages.signed_in("doc@x.org")
    doc.goto("/clinic")
    expect(doc.locator("#my-status")).to_have_text("Available")
    patient = pages.page(viewport=PHONE)  # not signed in: the reminder's join link
    patient.goto(f"/waiting-room/{appointment_id}?join={clinic.join_token(appointment_id)}")
    patient.get_by_label("Where are you right now?").select_option(label="United Kingdom")
    patient.get_by_label("No, none of these").check()  # no new red-flag symptoms since booking
    patient.get_by_label("I agree to have this visit by video.").check()
    patient.get_by_role("button", name="Check in").click()
    expect(patient.locator("#notice")).to_have_text("Your clinician is not licensed to see you by video in GB.")
    expect(patient.locator("#position")).to_have_text("You're next")
    expect(doc.locator("#alerts")).to_contain_text("Eve says they are in GB")
    row = doc.locator(f"#appt-{appointment_id}")
    expect(row).to_contain_text("Not licensed (GB)")
    expect(row.get_by_role("button", name="Admit: Eve")).to_be_disabled()
    assert clinic.appointment(appointment_id)["status"] == "checked_in"


def test_pages_fit_a_390_pixel_phone_without_sideways_scrolling(pages, clinic):
    appointment_id = _book(clinic, "dee", "09:30")
    patient = pages.signed_in("dee@x.org", viewport=PHONE)
    patient.goto(f"/waiting-room/{appointment_id}")
    expect(patient.get_by_role("heading", name="Before you check in")).to_be_visible()
    assert horizontal_overflow(patient) == 0
    later = _book(clinic, "dee", "11:00")  # opens at 10:30: the friendly "too early" page, both clocks
    patient.goto(f"/waiting-room/{later}")
    expect(patient.get_by_role("alert")).to_contain_text("The waiting room opens at")
    assert horizontal_overflow(patient) == 0
    login = pages.page(viewport=PHONE)
    login.goto("/login")
    assert horizontal_overflow(login) == 0
