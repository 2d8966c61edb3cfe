"""Account emails in a browser: run the jobs as `serve --with-jobs` would, read the email on the dev outbox
page (/dev/outbox), and follow its link (issue 12 item 2: a new account confirms its address first)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD

LINK = re.compile(r"https?://[^\s/]+(/account/(?:confirm|reset)\?t=[A-Za-z0-9_.\-]+)")


def emailed_link(page, server, email: str, kind: str) -> str:
    """The link (a path) in the newest account email of `kind` (confirm, exists, reset) sent to `email`."""
    server.run_jobs_once()
    page.goto("/dev/outbox?channel=email")
    rows = page.locator("table.outbox tbody tr", has_text=email)
    row = rows.filter(has=page.locator("td:nth-child(4)", has_text=re.compile(f"^account-{kind}$"))).first
    found = LINK.search(row.locator("pre.body").inner_text())
    assert found, f"no {kind} link for {email} in the dev outbox"
    return found.group(1)


def confirm_and_sign_in(page, server, email: str, password: str = PASSWORD) -> None:
    """After sign-up ("Check your email"): follow the emailed link, then sign in on the page it leads to."""
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(emailed_link(page, server, email, "confirm"))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
