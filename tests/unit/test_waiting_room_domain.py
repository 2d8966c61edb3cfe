"""Waiting-room rules (pure): window, refusals, the line, positions, ETAs, clinician status, validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from televisit.domain import errors
from televisit.domain import waiting_room as wr

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
START = datetime(2027, 3, 1, 14, 0, tzinfo=UTC)  # 09:00 in Cleveland
END = START + timedelta(minutes=30)


def w(i: int, minute: int, length: int = 10) -> wr.Waiting:
    start = START + timedelta(minutes=minute)
    return wr.Waiting(i, start, start + timedelta(minutes=length))


# --- the check-in window ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "state"),
    [
        (timedelta(minutes=-31), "too_early"),
        (timedelta(minutes=-30, seconds=-1), "too_early"),
        (timedelta(minutes=-30), "open"),  # opens exactly 30 minutes before
        (timedelta(0), "open"),
        (END - START, "open"),  # still open at the end itself
        (END - START + timedelta(seconds=1), "closed"),
    ],
)
def test_window_opens_thirty_minutes_before_and_closes_at_the_end(offset, state):
    assert wr.window_state(START, END, START + offset) == state


def test_opens_at_is_thirty_minutes_before_the_start():
    assert wr.opens_at(START) == START - timedelta(minutes=30)


@pytest.mark.parametrize(
    ("mode", "status", "now", "error"),
    [
        ("virtual", "booked", START - timedelta(minutes=31), errors.TooEarly),
        ("virtual", "booked", END + timedelta(minutes=1), errors.Closed),
        ("virtual", "cancelled", START, errors.Cancelled),
        ("in_person", "booked", START, errors.NotVirtual),
        ("virtual", "completed", START, errors.Closed),
        ("virtual", "no_show", START, errors.Closed),
        ("in_person", "cancelled", START, errors.Cancelled),  # cancelled says so whatever the mode
    ],
)
def test_check_in_refusals_carry_the_documented_codes(mode, status, now, error):
    with pytest.raises(error) as caught:
        wr.check_in_refusal(mode, status, START, END, now)
    assert caught.value.code in {"too_early", "closed", "cancelled", "not_virtual"}
    assert caught.value.message


@pytest.mark.parametrize(
    ("status", "now"),
    [
        ("booked", START - timedelta(minutes=30)),
        ("booked", END),
        ("checked_in", END + timedelta(hours=2)),  # checking in again (reconnecting) keeps working while waiting
        ("in_visit", END + timedelta(minutes=5)),
    ],
)
def test_check_in_accepted(status, now):
    wr.check_in_refusal("virtual", status, START, END, now)


def test_precheck_may_come_early_but_not_after_a_booked_visit_ended():
    wr.require_precheck_allowed("virtual", "booked", START, END, START - timedelta(hours=3))
    wr.require_precheck_allowed("virtual", "checked_in", START, END, END + timedelta(minutes=10))
    with pytest.raises(errors.Closed):
        wr.require_precheck_allowed("virtual", "booked", START, END, END + timedelta(seconds=1))
    with pytest.raises(errors.NotVirtual):
        wr.require_precheck_allowed("in_person", "booked", START, END, START)


# --- admit, no-show, the visit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "licensed", "busy", "error"),
    [
        ("booked", True, False, errors.NotCheckedIn),
        ("cancelled", True, False, errors.Cancelled),
        ("in_visit", True, False, errors.Conflict),
        ("completed", True, False, errors.Conflict),
        ("checked_in", False, False, errors.NotLicensed),
        ("checked_in", True, True, errors.Busy),
        ("checked_in", False, True, errors.NotLicensed),  # the licence is the first thing to fix
    ],
)
def test_admit_refusals(status, licensed, busy, error):
    with pytest.raises(error):
        wr.require_admittable(status, licensed, busy)


@pytest.mark.parametrize("licensed", [True, None])
def test_admit_allowed_when_licensed_or_region_unknown(licensed):
    wr.require_admittable("checked_in", licensed, False)


def test_no_show_only_from_the_start_for_booked_or_checked_in():
    with pytest.raises(errors.TooEarly):
        wr.require_no_show_allowed("booked", START, START - timedelta(seconds=1))
    for status in ("booked", "checked_in"):
        wr.require_no_show_allowed(status, START, START)
    with pytest.raises(errors.Conflict):
        wr.require_no_show_allowed("in_visit", START, END)
    with pytest.raises(errors.Cancelled):
        wr.require_no_show_allowed("cancelled", START, END)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("booked", errors.NotCheckedIn),
        ("checked_in", errors.Conflict),
        ("completed", errors.Closed),
        ("no_show", errors.Closed),
        ("cancelled", errors.Cancelled),
    ],
)
def test_visit_actions_need_an_open_visit(status, error):
    with pytest.raises(error):
        wr.require_in_visit(status)
    wr.require_in_visit("in_visit")


# --- the line -----------------------------------------------------------------------------------------


def test_line_is_ordered_by_start_then_id():
    line = wr.line_order([w(3, 20), w(2, 0), w(1, 20), w(4, -10)])
    assert [x.appointment_id for x in line] == [4, 2, 1, 3]
    assert [wr.position(line, i) for i in (4, 2, 1, 3)] == [1, 2, 3, 4]
    assert wr.position(line, 99) is None


def test_same_day_line_uses_each_locations_local_date():
    late_ny = wr.Waiting(1, datetime(2027, 3, 2, 3, 0, tzinfo=UTC), datetime(2027, 3, 2, 3, 10, tzinfo=UTC))
    # 03:00 UTC on 2 March is 22:00 on 1 March in New York, but already 2 March in London
    items = [(late_ny, NY), (w(2, 0), NY), (wr.Waiting(3, late_ny.start, late_ny.end), LONDON)]
    line = wr.same_day_line(items, datetime(2027, 3, 1).date())
    assert [x.appointment_id for x in line] == [2, 1]


def test_eta_waits_for_the_start_when_nobody_is_ahead():
    line = [w(1, 0)]
    assert wr.eta_minutes(line, 1, now=START - timedelta(minutes=12), visit_left=0, late=0) == 12
    assert wr.eta_minutes(line, 1, now=START - timedelta(minutes=11, seconds=30), visit_left=0, late=0) == 12
    assert wr.eta_minutes(line, 1, now=START + timedelta(minutes=5), visit_left=0, late=0) == 0  # never negative


def test_eta_counts_the_visit_in_progress_and_those_ahead():
    line = wr.line_order([w(1, 0, 10), w(2, 10, 20), w(3, 30, 10)])
    now = START  # the first is due now; a visit with 7 minutes left is running
    assert wr.eta_minutes(line, 1, now=now, visit_left=7, late=0) == 7
    assert wr.eta_minutes(line, 2, now=now, visit_left=7, late=0) == 17  # 7 + 10 ahead > 10 until start
    assert wr.eta_minutes(line, 3, now=now, visit_left=7, late=0) == 37  # 7 + 10 + 20 > 30 until start
    assert wr.eta_minutes(line, 3, now=now, visit_left=0, late=0) == 30  # the start is later than the work ahead


def test_running_late_adds_its_minutes():
    line = wr.line_order([w(1, 0), w(2, 10)])
    before = [wr.eta_minutes(line, i, now=START, visit_left=5, late=0) for i in (1, 2)]
    after = [wr.eta_minutes(line, i, now=START, visit_left=5, late=15) for i in (1, 2)]
    assert [b + 15 for b in before] == after
    assert wr.eta_minutes(line, 99, now=START, visit_left=5, late=15) == 0  # not in the line


def test_visit_minutes_left_counts_the_full_length_from_admission():
    admitted = START + timedelta(minutes=4)  # admitted late: the 30-minute visit runs until 09:34
    assert wr.visit_minutes_left(admitted, START, END, START + timedelta(minutes=10)) == 24
    assert wr.visit_minutes_left(None, START, END, START + timedelta(minutes=10)) == 20
    assert wr.visit_minutes_left(admitted, START, END, END + timedelta(hours=1)) == 0


def test_waiting_minutes_round_down():
    assert wr.waiting_minutes(START, START + timedelta(minutes=4, seconds=59)) == 4
    assert wr.waiting_minutes(None, START) == 0
    assert wr.waiting_minutes(START, START - timedelta(minutes=1)) == 0


# --- clinician status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_visit", "late", "online", "expected"),
    [
        (True, 10, True, {"status": "in_visit"}),
        (True, 0, False, {"status": "in_visit"}),
        (False, 10, False, {"status": "running_late", "minutes": 10}),
        (False, 10, True, {"status": "running_late", "minutes": 10}),
        (False, 0, True, {"status": "available"}),
        (False, 0, False, {"status": "offline"}),
    ],
)
def test_clinician_status_precedence(in_visit, late, online, expected):
    assert wr.clinician_status(in_visit=in_visit, late_minutes=late, online=online) == expected


# --- jobs ---------------------------------------------------------------------------------------------


def test_no_show_is_due_for_a_virtual_visit_still_booked_at_its_end():
    assert wr.due_for_no_show("virtual", "booked", END, END)
    assert not wr.due_for_no_show("virtual", "booked", END, END - timedelta(seconds=1))
    assert not wr.due_for_no_show("in_person", "booked", END, END)
    assert not wr.due_for_no_show("virtual", "checked_in", END, END)


def test_starts_soon_once_in_the_five_minutes_before_the_start():
    five = START - timedelta(minutes=5)
    assert not wr.due_for_starts_soon("checked_in", START, five - timedelta(seconds=1), None)
    assert wr.due_for_starts_soon("checked_in", START, five, None)
    assert wr.due_for_starts_soon("checked_in", START, START - timedelta(seconds=1), None)
    assert not wr.due_for_starts_soon("checked_in", START, START, None)
    assert not wr.due_for_starts_soon("checked_in", START, five, five)  # sent already
    assert not wr.due_for_starts_soon("booked", START, five, None)


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"), [("US-OH", True), ("GB", True), ("Ohio", False), ("us-oh", False), (1, False)]
)
def test_region_format_is_the_apis(value, ok):
    assert wr.valid_region(value) is ok


def test_licensure_reuses_the_licence_rules():
    assert wr.region_licensed(["US-OH", "US-FL"], "US-FL") is True
    assert wr.region_licensed(["US-OH"], "US-CA") is False
    assert wr.region_licensed(["GB"], "GB-ENG") is True
    assert wr.region_licensed(["US-OH"], None) is None


@pytest.mark.parametrize(
    ("text", "clean"),
    [("  hello  ", "hello"), ("x" * 500, "x" * 500), ("x" * 501, None), ("", None), ("   ", None), (5, None)],
)
def test_message_text_is_trimmed_and_one_to_500_characters(text, clean):
    assert wr.clean_text(text) == clean


@pytest.mark.parametrize(
    ("value", "ok"), [(0, True), (240, True), (241, False), (-1, False), (True, False), (1.5, False)]
)
def test_late_minutes_are_a_whole_number_up_to_240(value, ok):
    assert wr.valid_late_minutes(value) is ok


@pytest.mark.parametrize(
    ("kind", "data", "ok"),
    [
        ("offer", {"type": "offer", "sdp": "v=0..."}, True),
        ("candidate", {"candidate": "a", "sdpMid": "0"}, True),
        ("ready", None, True),
        ("hangup", None, True),
        ("answer", "x" * 70_000, False),
        ("bogus", None, False),
        (None, None, False),
        ("offer", object(), False),
    ],
)
def test_signals(kind, data, ok):
    assert wr.valid_signal(kind, data) is ok


def test_queue_positions_agree_with_position_and_eta_for_random_lines():
    import random

    rng = random.Random(5)
    now = datetime(2027, 3, 1, 14, 0, tzinfo=timezone.utc)
    for _ in range(200):
        starts = sorted(now + timedelta(minutes=rng.randint(-40, 90)) for _ in range(rng.randint(0, 12)))
        line = [wr.Waiting(i + 1, s, s + timedelta(minutes=rng.choice((10, 20, 30, 60)))) for i, s in enumerate(starts)]
        left, late = rng.randint(0, 30), rng.randint(0, 45)
        expected = [
            (
                wr.position(line, w.appointment_id),
                wr.eta_minutes(line, w.appointment_id, now=now, visit_left=left, late=late),
            )
            for w in line
        ]
        assert wr.queue_positions(line, now=now, visit_left=left, late=late) == expected
