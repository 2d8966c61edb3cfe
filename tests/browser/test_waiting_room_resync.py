"""Redis down and back, in real browsers: the pages catch up by themselves on what they missed (`resync`).

Two web processes share a private Redis (tests/support/private_redis.py, killed with SIGKILL and restarted) and
one PostgreSQL database; the patient's page is on server 1 and the clinician's dashboard on server 2, so every
event between them crosses Redis. While Redis is down the patient writes to the clinic and the clinician admits
the patient: both are committed and both events are lost. When Redis returns, each server tells its own pages
`resync`: the patient's page checks in again, finds itself admitted and opens the video visit; the dashboard
joins its clinic again, shows the message and says `ready` again, so the two pages connect by video. Neither
page shows its "Reconnecting…" banner (their sockets never dropped) and nothing already shown is added twice.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Browsers
from tests.support.redis_fixtures import private_redis_fixture, world_fixture  # noqa: F401 (fixtures)
from tests.support.waiting_world import live_server

QUIET = 2_000  # ms an event that should not arrive is given to arrive anyway
RESYNC_WITHIN = 8.0  # seconds from Redis answering again to the patient's page being in the visit
CALL = 30_000  # ms: two pages and two servers share two CPU cores

# Counts the times the page's "Reconnecting…" banner appears (it is about the page's own socket).
BANNER_WATCH = """
document.addEventListener("DOMContentLoaded", () => {
  const banner = document.getElementById("banner");
  window.bannerShown = 0;
  if (banner) new MutationObserver(() => { if (!banner.hidden) window.bannerShown += 1; })
    .observe(banner, { attributes: true, attributeFilter: ["hidden"] });
});
"""


@pytest.fixture(scope="module")
def pair(private_redis):
    with live_server("postgresql", redis_url=private_redis.url, servers=2) as servers:
        yield servers


@pytest.fixture
def opened(browser):
    """Pages on either server (`opened(url)`), closed after the test."""
    made: list[Browsers] = []

    def on(url: str) -> Browsers:
        made.append(Browsers(browser, url))
        return made[-1]

    yield on
    for b in made:
        b.close()


def _signed_in(browsers: Browsers, email: str, **kw):
    page = browsers.signed_in(email, **kw)
    page.context.add_init_script(BANNER_WATCH)  # from the next page on
    return page


def _check_in(patient, appointment_id: int) -> None:
    patient.goto(f"/waiting-room/{appointment_id}")
    expect(patient.get_by_label("Where are you right now?")).to_have_value("US-OH")  # as booked
    patient.get_by_label("No, none of these").check()
    patient.get_by_label("I agree to have this visit by video.").check()
    patient.get_by_role("button", name="Check in").click()
    expect(patient.get_by_role("heading", name="You're checked in")).to_be_visible()


def _in_call(page) -> None:
    expect(page.locator("#call-status")).to_have_attribute("data-call-state", "connected", timeout=CALL)


def test_the_pages_catch_up_by_themselves_when_redis_returns(opened, w, pair, private_redis):
    one, two = pair[0].server, pair[1].server
    a = w.book("ada", "09:10")
    doc = _signed_in(opened(two.url), "doc@x.org")
    doc.goto("/clinic")
    expect(doc.locator("#my-status")).to_have_text("Available")
    patient = _signed_in(opened(one.url), "ada@x.org", viewport=PHONE)
    _check_in(patient, a)
    row = doc.locator(f"#appt-{a}")
    expect(row.locator(".connection")).to_have_text("Connected")  # 1 -> 2 through Redis

    private_redis.kill()
    patient.get_by_label("Message the clinic staff").fill("My camera is ready.")
    patient.get_by_role("button", name="Send message").click()
    expect(patient.locator("#messages li")).to_have_count(1)  # committed and acked: shown on the patient's page
    doc.get_by_role("button", name="Admit: Ada").click()  # committed: the dashboard opens the video
    expect(doc.locator("#call-status")).to_have_attribute("data-call-state", "waiting", timeout=CALL)
    patient.wait_for_timeout(QUIET)
    expect(patient.locator("#room")).to_have_attribute("data-phase", "queue")  # `admitted` (2 -> 1) was lost
    expect(doc.locator("#messages li")).to_have_count(0)  # `patient_message` (1 -> 2) was lost

    private_redis.start()
    back_at = time.monotonic()
    expect(patient.locator("#room")).to_have_attribute("data-phase", "visit", timeout=RESYNC_WITHIN * 1000)
    took = time.monotonic() - back_at
    print(f"the patient's page was in the visit {took:.1f} s after Redis returned")
    expect(doc.locator("#messages")).to_contain_text("Ada (09:")
    expect(doc.locator("#messages")).to_contain_text("My camera is ready.")
    _in_call(patient)
    _in_call(doc)

    expect(doc.locator("#messages li")).to_have_count(1)  # added once, not again on a second `resync`
    expect(patient.locator("#messages li")).to_have_count(1)
    for page in (patient, doc):
        expect(page.locator("#banner")).to_be_hidden()
        assert page.evaluate("window.bannerShown") == 0  # the sockets never dropped: no banner, not even briefly
    assert w.appointment(a)["status"] == "in_visit"


def test_a_visit_ended_while_redis_was_down_ends_on_the_patients_page_when_it_returns(opened, w, pair, private_redis):
    one, two = pair[0].server, pair[1].server
    a = w.book("bob", "09:20")
    doc = _signed_in(opened(two.url), "doc@x.org")
    doc.goto("/clinic")
    patient = _signed_in(opened(one.url), "bob@x.org", viewport=PHONE)
    _check_in(patient, a)
    expect(doc.locator(f"#appt-{a}").locator(".connection")).to_have_text("Connected")
    doc.get_by_role("button", name="Admit: Bob").click()
    _in_call(patient)
    _in_call(doc)

    private_redis.kill()
    doc.get_by_role("button", name="End visit").first.click()
    doc.get_by_role("dialog").get_by_role("button", name="Yes, end the visit").click()
    expect(doc.locator("#video")).to_be_hidden()  # committed on server 2; `visit_ended` (2 -> 1) is lost
    assert w.appointment(a)["status"] == "completed"
    patient.wait_for_timeout(QUIET)
    expect(patient.locator("#room")).to_have_attribute("data-phase", "visit")

    private_redis.start()
    expect(patient.get_by_role("heading", name="Your visit has ended")).to_be_visible(timeout=RESYNC_WITHIN * 1000)
    expect(patient.locator("#room")).to_have_attribute("data-phase", "ended")
