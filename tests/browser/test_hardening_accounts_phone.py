"""Issue 12, items 2-4 in headless Chromium at a 390 px phone: sign up, confirm by the emailed link, sign in;
then "Forgot your password?", the emailed link, a refused common password, a new one, and sign in with it.

Emails are read where a developer reads them, on the dev outbox page, after the jobs ran (`jobs run-once`).
Every page: no sideways scrolling, no serious or critical axe-core finding.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.account_support import emailed_link
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.patient_support import PHONE, patients_fixture, program_fixture

assert patients_fixture and program_fixture  # fixtures `patients` and `program`, used by name below
EMAIL = "nell.phone@example.org"
FIRST, SECOND = "harbour-lantern-violet", "copper-meadow-sparrow"


def _check(page) -> None:
    assert horizontal_overflow(page) == 0, page.url
    assert_accessible(page)


def _sign_in(page, password: str) -> None:
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _sign_up(page, server) -> None:
    page.goto("/signup")
    page.get_by_label("Full name").fill("Nell Phone")
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password").fill(FIRST)
    page.get_by_label("Where you live").select_option(label="Ohio")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    _check(page)
    page.goto("/login")  # not yet: the address is unconfirmed
    _sign_in(page, FIRST)
    expect(page.get_by_role("alert")).to_contain_text("Please confirm your email address first")
    page.goto(emailed_link(page, server, EMAIL, "confirm"))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    _check(page)
    _sign_in(page, FIRST)
    expect(page.get_by_role("heading", name="No visits yet")).to_be_visible()


def _forgot(page, server) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    _check(page)
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("If an account uses the address you gave")).to_be_visible()
    page.goto(emailed_link(page, server, EMAIL, "reset"))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    _check(page)
    page.get_by_label("New password").fill("password1234")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.locator(".error-summary")).to_contain_text("This password is too common")
    assert page.evaluate("document.activeElement.id") == "password"  # the field in error has the focus
    _check(page)
    page.get_by_label("New password").fill(SECOND)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_text("Your new password is set")).to_be_visible()


def test_sign_up_confirm_and_reset_a_password_on_a_phone(patients, program):
    server = program.server
    page = patients.page(PHONE)
    _sign_up(page, server)
    other = patients.page(PHONE)  # signed out as another browser, as someone who forgot the password would be
    _forgot(other, server)
    _sign_in(other, FIRST)
    expect(other.get_by_role("alert")).to_contain_text("Email or password is incorrect")
    _sign_in(other, SECOND)
    expect(other.get_by_role("heading", name="No visits yet")).to_be_visible()
    _check(other)
    page.reload()  # the first browser was signed out by the reset
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
