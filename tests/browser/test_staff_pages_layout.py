"""Issue 14, "also found", in Chromium: the dev outbox's message column wraps at 1440 px instead of being clipped,
and /admin/audit names people and lays its filters out as one field per cell (a row at 1440, two columns at
390), axe-core clean and nothing wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import OutboxMessage, User
from tests.browser.axe import assert_accessible
from tests.browser.conftest import horizontal_overflow
from tests.browser.desk_support import ADMIN, SCHEDULER, VIEWPORTS, desk_fixture

assert desk_fixture  # the fixture `desk`, used by name below
TOKEN = "eyJhIjoxMjM0NTY3ODkwLCJzIjowLCJlIjoxODAwMDAwMDAwfQ." + "x" * 120  # a signed link's token: one long word
BODY = f"Televisit Health: your video visit is on Mon 8 Mar at 9:00 AM EST. View or confirm: http://127.0.0.1/l/view/{TOKEN}"


def _long_message(live) -> None:
    with live.app.app_context():
        now = clock.now()
        db.session.add(
            OutboxMessage(
                key="layout-test:sms",
                rule="confirmation",
                channel="sms",
                status="sent",
                due_at=now,
                next_attempt_at=now,
                attempts=1,
                to_address="+12165550123",
                body_text=BODY,
                created_at=now,
            )
        )
        db.session.commit()


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_the_dev_outbox_wraps_a_long_message_instead_of_clipping_it(pages, live, desk, size):
    _long_message(live)
    page = pages.page(viewport=VIEWPORTS[size])
    page.goto("/dev/outbox")
    cell = page.locator("table.outbox tbody tr", has_text="+12165550123").locator("td").nth(6)
    expect(cell).to_contain_text(TOKEN)
    assert horizontal_overflow(page) == 0
    assert cell.evaluate("td => td.scrollWidth <= td.clientWidth"), "the message overflows its cell"
    if size == "desk":  # at 1440 px the whole table is in view: nothing to scroll to, nothing cut off
        region = page.get_by_role("region", name="Messages")
        assert region.evaluate("r => r.scrollWidth <= r.clientWidth"), "the table is wider than its region"
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= VIEWPORTS["desk"]["width"]
        assert box["width"] >= 560  # the message has the room, not the fixed columns
    assert_accessible(page)


def _fields(page) -> list[dict]:
    """Each filter field's label and control boxes."""
    return page.eval_on_selector_all(
        ".audit-filters .field:not(.actions)",
        """fields => fields.map((f) => {
            const box = (el) => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, bottom: r.bottom}; };
            return {label: box(f.querySelector('label')), control: box(f.querySelector('input, select'))};
        })""",
    )


def _lines(positions, within: float = 12) -> list[float]:
    """Positions a few pixels apart counted as one line (a select is taller than an input)."""
    out: list[float] = []
    for p in sorted(positions):
        if not out or p - out[-1] > within:
            out.append(p)
    return out


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_the_audit_trail_names_people_and_lays_its_filters_out_cleanly(pages, live, desk, size):
    with live.app.app_context():
        sched_id = db.session.scalars(select(User.id).where(User.email == SCHEDULER)).one()
        db.session.commit()
    scheduler = pages.signed_in(SCHEDULER, viewport=VIEWPORTS[size])
    scheduler.goto(f"/schedule/appointments/{desk['appointment']}")
    admin = pages.signed_in(ADMIN, viewport=VIEWPORTS[size])
    admin.goto(f"/admin/audit?appointment_id={desk['appointment']}")
    row = admin.locator("tbody tr", has_text="appointment.read").first
    expect(row.locator('td[data-label="User"] a')).to_have_text("sched")
    expect(row.locator('td[data-label="User"] small')).to_have_text(f"#{sched_id}")
    expect(row.locator('td[data-label="Patient"] a')).to_have_text("other")

    fields = _fields(admin)
    assert len(fields) == 6
    for f in fields:  # the label right above its own control, never beside another field's
        assert f["label"]["bottom"] <= f["control"]["y"] + 1 and abs(f["label"]["x"] - f["control"]["x"]) < 2, f
    columns, rows = _lines(f["control"]["x"] for f in fields), _lines(f["label"]["y"] for f in fields)
    if size == "desk":
        assert len(rows) == 1 and len(columns) == 6, (rows, columns)  # one row at 1440
    else:
        assert len(columns) == 2 and len(rows) == 3, (rows, columns)  # two columns at 390
    assert horizontal_overflow(admin) == 0
    assert_accessible(admin)
