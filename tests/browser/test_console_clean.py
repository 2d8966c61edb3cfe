"""Issue 12, item 19: every main page, for every role, at phone and desk sizes, loads with a clean console.

Clean means: no console error or warning, no uncaught page error, no request that failed, and no response with a
status of 400 or more (a missing favicon included: the page's icons and /favicon.ico are fetched on every page).
The pages run in Chromium against the live development server (the demo program, today's clinic open).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import Clinician, Location, User, VisitType
from televisit.services import seed
from televisit.services.auth import actor_of
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.messaging import links
from tests import factories as f
from tests.support.live_server import SECRET

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
VIEWPORTS = {"phone": PHONE, "desk": DESK}
CLEVELAND = ZoneInfo("America/New_York")
OKAFOR = "amara.okafor@demo.televisit.local"
ADMIN, SCHEDULER, PATIENT = "cc-admin@example.org", "cc-sched@example.org", "cc-pat@example.org"
SETTLE_MS = 400  # after the network is idle: time for a late script error or socket failure to show
ICONS = """async () => {
  const hrefs = [...document.querySelectorAll('link[rel~="icon"]')].map((l) => l.href);
  const answers = [];
  for (const href of [...hrefs, "/favicon.ico"]) {
    const r = await fetch(href);
    answers.push([href, r.status, r.headers.get("content-type")]);
  }
  return [hrefs.length, answers];
}"""


@dataclass
class Site:
    """The ids and paths the pages need."""

    ids: dict = field(default_factory=dict)
    link_paths: dict = field(default_factory=dict)


def _one(model, **where):
    return db.session.scalars(select(model).filter_by(**where)).one()


def _book(desk, patient_id: int, start, *, now) -> int:
    okafor, site = _one(Clinician, email=OKAFOR), _one(Location, name="Cleveland Main Campus")
    follow_up = _one(VisitType, name="Follow-up")
    slot = SlotRequest(follow_up.id, okafor.id, site.id, "virtual", start, "US-OH")
    return booking.book(db.session, booking.BookingRequest(slot, patient_id, "Check-up"), actor=desk, now=now).id


def build(server) -> Site:
    """The demo program; an admin, a scheduler, Dr. Okafor's sign-in and an Ohio patient with two video visits:
    one in today's clinic (its waiting room open now) and one next week (to move, cancel or open by link)."""
    now = server.clock_now()
    seed.seed(db.session, now=now)
    for email, role in ((ADMIN, "admin"), (SCHEDULER, "scheduler"), (OKAFOR, "clinician")):
        f.user(email, role)
    patient = f.user(PATIENT, "patient", region="US-OH", name="Casey Console")
    desk = actor_of(_one(User, email=SCHEDULER))
    local = now.astimezone(CLEVELAND)
    today = local.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=30 if local.minute < 29 else 60)
    assert today.hour < 12, "Dr. Okafor's Monday morning clinic is over: the live server has run too long"
    site = Site()
    site.ids = {
        "today": _book(desk, patient.patient_id, today, now=now - timedelta(days=1)),
        "later": _book(desk, patient.patient_id, today + timedelta(days=7), now=now - timedelta(days=1)),
        "patient": patient.patient_id,
        "user": patient.id,
        "clinician": _one(Clinician, email=OKAFOR).id,
        "location": _one(Location, name="Cleveland Main Campus").id,
        "visit_type": _one(VisitType, name="Follow-up").id,
        "later_date": (today + timedelta(days=7)).date().isoformat(),
    }
    expires = now + timedelta(days=30)
    for purpose in ("view", "confirm", "reschedule", "cancel", "join"):
        token = links.sign(SECRET, purpose, site.ids["later"], 0, expires)
        site.link_paths[purpose] = f"/l/{purpose}/{token}"
    site.link_paths["join today"] = f"/l/join/{links.sign(SECRET, 'join', site.ids['today'], 0, expires)}"
    site.link_paths["view .ics"] = site.link_paths["view"] + "/calendar.ics"
    db.session.commit()  # end the transaction: on SQLite an open one would hold the server's writes
    return site


@pytest.fixture
def site(live):
    """Fresh data on the live server's database for one test (wiped before and after)."""
    from tests.conftest import _wipe

    with live.app.app_context():
        _wipe()
        try:
            yield build(live.server)
        finally:
            db.session.remove()
            _wipe()


def pages_of(site: Site) -> dict[str | None, list[str]]:
    """Who signs in (None: nobody) -> the main pages they use."""
    ids = site.ids
    later, today, pid, cid = ids["later"], ids["today"], ids["patient"], ids["clinician"]
    care = f"/find-care?need=follow-up&mode=virtual&site={ids['location']}&region=US-OH"
    return {
        None: ["/", "/login", "/signup", *[p for k, p in site.link_paths.items() if not k.endswith(".ics")]],
        PATIENT: [
            "/appointments",
            f"/appointments/{later}",
            f"/appointments/{later}/reschedule",
            f"/appointments/{later}/cancel",
            "/find-care",
            care,
            "find-care/confirm",  # the first time `care` offers (resolved from that page)
            "/intake?need=second-opinion&mode=virtual",
            "/profile",
            f"/waiting-room/{today}",
        ],
        SCHEDULER: [
            "/schedule",
            f"/schedule?view=day&date={ids['later_date']}",
            f"/schedule/appointments/{later}",
            "/schedule/book",
            "/schedule/book?q=casey",
            f"/schedule/book/{pid}",
            f"/schedule/book/{pid}?visit_type_id={ids['visit_type']}&mode=virtual",
            "/schedule/clinicians",
            f"/schedule/clinicians/{cid}/availability",
            "/schedule/urgent",
            "/schedule/urgent?show=resolved",
            "/schedule/waitlist",
            "/dev/outbox",
        ],
        OKAFOR: [
            "/clinic",
            "/clinic/today",
            f"/clinic/today?date={ids['later_date']}",
            "/clinic/week",
            f"/clinic/visits/{today}",
            f"/clinic/visits/{today}/no-show",
            "/clinic/calendar-link",
        ],
        ADMIN: [
            "/admin",
            "/admin/audit",
            "/admin/users",
            f"/admin/users/{ids['user']}",
            "/admin/clinicians",
            f"/admin/clinicians/{cid}",
            "/admin/clinicians/new",
            "/admin/locations",
            f"/admin/locations/{ids['location']}",
            "/admin/locations/new",
            "/admin/visit-types",
            f"/admin/visit-types/{ids['visit_type']}",
            "/admin/visit-types/new",
        ],
    }


class Watch:
    """Everything a page reports that a clean console must not have."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: self.problems.append(f"failed: {req.url} ({req.failure})"))
        page.on("response", self._response)

    def _console(self, msg) -> None:
        if msg.type in ("error", "warning"):
            self.problems.append(f"console {msg.type}: {msg.text} @ {msg.location.get('url', '')}")

    def _response(self, resp) -> None:
        if resp.status >= 400:
            self.problems.append(f"{resp.status}: {resp.request.method} {resp.url}")


def _visit(context, path: str) -> list[str]:
    """Open `path` in a new page of the context; what went wrong on it (the page is closed afterwards)."""
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto(path, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(SETTLE_MS)
        count, icons = page.evaluate(ICONS)
        problems = list(watch.problems)
        if count < 1:
            problems.append("no <link rel=icon> on the page")
        bad = [(href, status, kind) for href, status, kind in icons if status != 200 or "image" not in (kind or "")]
        problems += [f"icon {href}: {status} {kind}" for href, status, kind in bad]
        return [f"{path}: {p}" for p in problems]
    finally:
        page.close()


def _context(browser, base_url: str, viewport: dict, who: str | None):
    context = browser.new_context(viewport=viewport, base_url=base_url, timezone_id="America/New_York")
    if who:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(who)
        page.get_by_label("Password").fill(f.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.close()
    return context


def _confirm_path(context, care: str) -> str:
    """The confirmation step of the first time the find-care search offers."""
    page = context.new_page()
    try:
        page.goto(care)
        href = page.locator("a.slot").first.get_attribute("href")
    finally:
        page.close()
    assert href and "/find-care/confirm" in href, "find care offered no time"
    return href


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_main_page_has_a_clean_console(browser, live, site, size):
    base = live.server.url
    problems: list[str] = []
    visited = 0
    for who, paths in pages_of(site).items():
        context = _context(browser, base, VIEWPORTS[size], who)
        try:
            for path in paths:
                if path == "find-care/confirm":
                    path = _confirm_path(context, paths[paths.index(path) - 1])
                problems += [f"{size} {who or 'anonymous'} {p}" for p in _visit(context, path)]
                visited += 1
        finally:
            context.close()
    assert visited >= 45
    assert problems == [], "\n".join(problems)


def test_the_favicon_is_a_real_icon(live):
    import requests

    r = requests.get(f"{live.server.url}/favicon.ico", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/")
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = requests.get(f"{live.server.url}/static/favicon.svg", timeout=10)
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    assert urlsplit(svg.url).path == "/static/favicon.svg"
