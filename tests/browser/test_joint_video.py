"""A joint video visit in a real browser: three Chromium contexts (fake camera and microphone) against a live server.

The joint visit is made through the JSON API (visit type with a team, a neurosurgeon and a radiation oncologist,
then the booking). The patient (a 390 px phone) checks in; both clinicians see her on their dashboards; the
neurosurgeon admits her and the radiation oncologist joins the running visit. Every page ends up with two remote
video streams playing (a mesh of three peer connections). One clinician leaving and coming back renegotiates only
their own links; the other clinician ends the visit for everyone.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, horizontal_overflow
from tests.support.joint_world import add_team, book_joint

CALL = 60_000  # ms: three pages, six media directions, two CPU cores shared with the server

# The remote tiles showing live video, by participant id (a tile hidden or without frames does not count).
PLAYING = """() => [...document.querySelectorAll('#video video.remote')]
  .filter((v) => !v.closest('.tile').hidden && v.videoWidth > 0 && !v.paused && v.readyState >= 2)
  .map((v) => v.dataset.participant).sort()"""
TIMES = """() => [...document.querySelectorAll('#video video.remote')]
  .filter((v) => v.videoWidth > 0).map((v) => v.currentTime)"""


@pytest.fixture
def joint(clinic):
    team = add_team(clinic)
    appointment_id = book_joint(clinic, team, "ada", "09:30")
    ids = {"patient": "patient", "neuro": f"clinician-{team.neuro}", "rad": f"clinician-{team.rad}"}
    return appointment_id, ids


def _check_in(patient, appointment_id: int) -> None:
    patient.goto(f"/waiting-room/{appointment_id}")
    expect(patient.get_by_label("Where are you right now?")).to_have_value("US-OH")
    patient.get_by_label("No, none of these").check()  # no new red-flag symptoms since booking
    patient.get_by_label("I agree to have this visit by video.").check()
    patient.get_by_role("button", name="Check in").click()
    expect(patient.get_by_role("heading", name="You're checked in")).to_be_visible()


def _sees(page, participants: list[str]) -> None:
    """The page shows exactly these participants' video, playing (frames arrive and time runs)."""
    expect(page.locator("#call-status")).to_have_attribute("data-call-state", "connected", timeout=CALL)
    want = json.dumps(json.dumps(sorted(participants), separators=(",", ":")))  # a JS string literal
    page.wait_for_function(f"() => JSON.stringify(({PLAYING})()) === {want}", timeout=CALL)
    before = page.evaluate(TIMES)
    page.wait_for_timeout(1500)
    after = page.evaluate(TIMES)
    assert len(after) == len(participants) and all(b > a for a, b in zip(before, after, strict=True)), (before, after)


def test_the_patient_and_both_clinicians_see_and_hear_each_other(pages, clinic, joint):
    appointment_id, ids = joint
    neuro, rad = pages.signed_in("neuro@x.org"), pages.signed_in("rad@x.org")
    for page in (neuro, rad):
        page.goto("/clinic")
        expect(page.locator("#my-status")).to_have_text("Available")

    patient = pages.signed_in("ada@x.org", viewport=PHONE)
    _check_in(patient, appointment_id)
    expect(patient.locator(".summary").first).to_contain_text("Dr. Neuro and Dr. Rad")
    for page in (neuro, rad):  # both see her, connected, as a joint visit
        row = page.locator(f"#appt-{appointment_id}")
        expect(row.get_by_role("rowheader")).to_contain_text("Ada")
        expect(row.get_by_role("rowheader")).to_contain_text("Joint visit")
        expect(row.locator(".connection")).to_have_text("Connected")

    neuro.get_by_role("button", name="Admit: Ada").click()
    _sees(patient, [ids["neuro"]])
    _sees(neuro, [ids["patient"]])
    expect(rad.get_by_role("button", name="Open video: Ada")).to_be_visible()  # running: hers to join
    expect(rad.locator("#my-status")).to_have_text("In a visit")
    rad.get_by_role("button", name="Open video: Ada").click()
    expect(rad.locator("#video-title")).to_have_text("Joint video visit with Ada")

    everyone = set(ids.values())
    for page, me in ((patient, ids["patient"]), (neuro, ids["neuro"]), (rad, ids["rad"])):
        _sees(page, sorted(everyone - {me}))
    expect(patient.locator("#call-status")).to_have_text("Connected with Dr. Neuro and Dr. Rad.")
    expect(patient.locator(".tile-name").first).to_be_visible()
    assert horizontal_overflow(patient) == 0
    assert_accessible(patient)
    assert_accessible(rad)
    assert clinic.appointment(appointment_id)["status"] == "in_visit"

    # Dr. Rad leaves and comes back: only her links are made again; the patient and Dr. Neuro stay linked
    keep = f"() => {{ window.kept = document.querySelector('video[data-participant=\"{ids['neuro']}\"]').srcObject; }}"
    patient.evaluate(keep)
    rad.get_by_role("button", name="Hang up").click()
    expect(rad.locator("#call-status")).to_have_attribute("data-call-state", "ended")
    _sees(patient, [ids["neuro"]])
    _sees(neuro, [ids["patient"]])
    expect(patient.locator("#call-status")).to_contain_text("Dr. Rad left the call.")
    rad.get_by_role("button", name="Rejoin the call").click()
    for page, me in ((patient, ids["patient"]), (neuro, ids["neuro"]), (rad, ids["rad"])):
        _sees(page, sorted(everyone - {me}))
    same = f"() => window.kept === document.querySelector('video[data-participant=\"{ids['neuro']}\"]').srcObject"
    assert patient.evaluate(same) is True  # the patient's link with Dr. Neuro was never renegotiated

    # Dr. Rad ends the visit: for everyone
    rad.get_by_role("button", name="End visit").first.click()
    rad.get_by_role("dialog").get_by_role("button", name="Yes, end the visit").click()  # it asks first
    expect(patient.get_by_role("heading", name="Your visit has ended")).to_be_visible()
    expect(neuro.locator("#video")).to_be_hidden()
    expect(rad.locator("#video")).to_be_hidden()
    expect(neuro.locator("#my-status")).to_have_text("Available")
    assert clinic.appointment(appointment_id)["status"] == "completed"
