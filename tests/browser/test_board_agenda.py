"""The tumor board's agenda in a real browser (Chromium, a live server whose clock is Monday 09:05 in
Cleveland), at a 390 px phone and a 1440x900 desk: a scheduler lists a case with the form, ticks "imaging
ready" (saved on the tick), moves it and removes it; members join the session's video room and see each other
(the waiting room's video mesh). Every page is axe-core clean, fits the screen and logs no console error."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from televisit.extensions import db
from televisit.models import Board, BoardCase
from tests import factories as f
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, horizontal_overflow
from tests.support.waiting_world import SERVER_NOW

DESK = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "desk": DESK}
NEXT_MONDAY, TODAY = "2027-03-08", "2027-03-01"
CALL = 60_000  # ms: three pages in a mesh on two shared cores
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (409|422) ")
PLAYING = """() => [...document.querySelectorAll('#video video.remote')]
  .filter((v) => !v.closest('.tile').hidden && v.videoWidth > 0 && !v.paused && v.readyState >= 2)
  .map((v) => v.dataset.participant).sort()"""


@pytest.fixture
def board(clinic):
    """A Cleveland board meeting Mondays 09:00 (today's session is under way) with Dr. Cleveland, Dr. Other and
    Mr. London as members; a case of Bob's already on today's agenda."""
    london = f.clinician("Mr. London", visit_types=[], rules=[], email="lon@x.org")
    f.user("lon@x.org", "clinician", name="Mr. London")
    b = Board(name="Spine tumor board", location_id=clinic.ids["location"], weekday=0, start_minute=9 * 60,
              duration_minutes=60, capacity=6, created_at=SERVER_NOW)  # fmt: skip
    b.members = [db.session.get(type(london), clinic.ids["doc"]), db.session.get(type(london), clinic.ids["other_doc"]),
                 london]  # fmt: skip
    db.session.add(b)
    db.session.flush()
    from datetime import date

    db.session.add(BoardCase(board_id=b.id, day=date(2027, 3, 1), patient_id=clinic.ids["bob"],
                             presenter_id=clinic.ids["doc"], question="Stabilise first?", status="listed",
                             imaging_ready=True, placed_at=SERVER_NOW, created_at=SERVER_NOW,
                             updated_at=SERVER_NOW))  # fmt: skip
    db.session.commit()
    ids = {
        "board": b.id,
        "ada": clinic.ids["ada"],
        "members": {"doc": clinic.ids["doc"], "other": clinic.ids["other_doc"], "lon": london.id},
    }
    db.session.commit()
    return ids


class Watched:
    """A signed-in page whose console errors and uncaught exceptions are collected."""

    def __init__(self, pages, email: str, size: str):
        self.page = pages.signed_in(email, viewport=SIZES[size])
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message) -> None:
        if message.type in ("error", "warning") and not REFUSED.match(message.text):
            self.errors.append(message.text)

    def check(self) -> None:
        """The page as it is now: fits the screen, axe-core clean, no console error so far."""
        assert horizontal_overflow(self.page) == 0, self.page.url
        assert_accessible(self.page)
        assert self.errors == [], self.errors


@pytest.mark.parametrize("size", list(SIZES))
def test_a_scheduler_lists_a_case_ticks_readiness_moves_and_removes_it(pages, board, size):
    w = Watched(pages, "sched@x.org", size)
    page = w.page
    page.goto("/board")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tumor board")
    w.check()
    page.get_by_role("link", name=re.compile(r"Mon, Mar 8, 2027")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Spine tumor board")
    expect(page.get_by_role("status").filter(has_text="No cases on this session yet.")).to_be_visible()
    w.check()
    page.get_by_label("Find the patient").fill("ada")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("combobox", name=re.compile("^Patient")).select_option(label=f"Ada (#{board['ada']})")
    page.get_by_label("Question for the board").fill("Separation surgery before SBRT?")
    page.get_by_label("Presented by").select_option(label="Dr. Cleveland")
    page.get_by_role("button", name="List the case").click()
    expect(page.locator(".flash")).to_contain_text("The case is on the agenda.")
    case = page.locator("li.board-case")
    expect(case).to_have_count(1)
    expect(case).to_contain_text("Separation surgery before SBRT?")
    w.check()
    ready = case.get_by_label("Imaging ready")
    expect(case.get_by_role("button", name="Save")).to_be_hidden()  # saved on the tick itself
    ready.check()
    expect(page.locator(".flash")).to_contain_text("Imaging marked ready.")
    expect(page.locator("li.board-case").get_by_label("Imaging ready")).to_be_checked()
    w.check()
    page.locator("li.board-case").get_by_label("Move to").select_option(index=0)
    page.locator("li.board-case").get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("The case moved to the session you chose.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mar 15, 2027")
    expect(page.locator("li.board-case")).to_have_count(1)
    page.locator("li.board-case").get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator(".flash")).to_contain_text("its place is free")
    expect(page.locator("li.board-case")).to_have_count(0)
    w.check()


def test_a_refused_case_form_says_why_in_words(pages, board):
    w = Watched(pages, "sched@x.org", "phone")
    page = w.page
    page.goto(f"/board/{board['board']}/{NEXT_MONDAY}")
    page.get_by_role("button", name="List the case").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the patient")
    expect(page.get_by_role("alert")).not_to_contain_text("patient_id")
    w.check()


def _sees(page, participants: list[str]) -> None:
    expect(page.locator("#call-status")).to_have_attribute("data-call-state", "connected", timeout=CALL)
    want = json.dumps(json.dumps(sorted(participants), separators=(",", ":")))
    page.wait_for_function(f"() => JSON.stringify(({PLAYING})()) === {want}", timeout=CALL)


def test_members_at_three_sites_join_the_sessions_video_room(pages, board):
    members = board["members"]
    people = {
        "doc": Watched(pages, "doc@x.org", "desk"),
        "other": Watched(pages, "other@x.org", "desk"),
        "lon": Watched(pages, "lon@x.org", "phone"),
    }
    for w in people.values():
        w.page.goto(f"/board/{board['board']}/{TODAY}")
        expect(w.page.locator("li.board-case")).to_contain_text("Stabilise first?")
        w.page.get_by_role("button", name="Join the video room").click()
    for who, w in people.items():
        _sees(w.page, [f"clinician-{members[o]}" for o in people if o != who])
        expect(w.page.locator("#video .tile-name").first).to_be_visible()
        w.check()
    people["lon"].page.get_by_role("button", name="Hang up").click()
    expect(people["doc"].page.locator("#call-status")).to_contain_text("Mr. London left the call.")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_boards_other_pages_read_well(pages, board, size):
    admin_email = "board-admin@x.org"
    f.user(admin_email, "admin", name="Ann Admin")
    db.session.commit()
    w = Watched(pages, admin_email, size)
    for path, heading in (("/admin/boards", "Tumor boards"), ("/admin/boards/new", "New tumor board"),
                          (f"/admin/boards/{board['board']}", "Spine tumor board"), ("/board", "Tumor board"),
                          ("/board/to-book", "To book")):  # fmt: skip
        w.page.goto(path)
        expect(w.page.get_by_role("heading", level=1)).to_contain_text(heading)
        w.check()
    w.page.goto(f"/admin/boards/{board['board']}")
    w.page.get_by_label("Cases per session").fill("0")
    w.page.get_by_role("button", name="Save the board").click()
    expect(w.page.get_by_role("alert")).to_contain_text("how many cases one session takes")
    w.check()
