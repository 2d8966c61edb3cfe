"""plan(): which reminders a booking gets (skips, send-at-once, channels), and parse_policy() validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from televisit.domain.reminders import (
    DEFAULT_POLICY,
    EMAIL,
    SMS,
    Planned,
    ReminderRule,
    parse_policy,
    plan,
    policy_json,
)

UTC = timezone.utc
NY, LONDON, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("Asia/Tokyo")
BOTH = frozenset({SMS, EMAIL})
VISIT = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)  # Wednesday 10:00 EST in Cleveland


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def planned(start, now, *, patient=NY, channels=BOTH, rules=DEFAULT_POLICY, site=NY) -> list[Planned]:
    return plan(start, rules=rules, site_zone=site, patient_zone=patient, now=now, channels=channels)


def test_booked_well_ahead_gets_48h_email_and_sms_and_2h_sms():
    out = planned(VISIT, ny(2027, 3, 1, 7))
    assert out == [
        Planned("48h", EMAIL, ny(2027, 3, 8, 10)),
        Planned("48h", SMS, ny(2027, 3, 8, 10)),
        Planned("2h", SMS, ny(2027, 3, 10, 8)),
    ]


@pytest.mark.parametrize(
    "channels, expected",
    [
        (frozenset({EMAIL}), [("48h", EMAIL)]),
        (frozenset({SMS}), [("48h", SMS), ("2h", SMS)]),
        (frozenset(), []),
    ],
)
def test_only_reachable_channels_are_planned(channels, expected):
    assert [(p.rule, p.channel) for p in planned(VISIT, ny(2027, 3, 1, 7), channels=channels)] == expected


def test_booked_thirty_minutes_before_sends_the_2h_sms_at_once_and_skips_48h():
    now = VISIT - timedelta(minutes=30)  # 09:30 EST, not quiet
    assert planned(VISIT, now) == [Planned("2h", SMS, now)]


def test_booked_three_hours_before_keeps_the_2h_at_its_time_and_skips_48h():
    now = VISIT - timedelta(hours=3)
    assert planned(VISIT, now) == [Planned("2h", SMS, VISIT - timedelta(hours=2))]


def test_booked_a_day_ahead_skips_only_the_48h():
    now = VISIT - timedelta(hours=24)
    assert [(p.rule, p.channel, p.due) for p in planned(VISIT, now)] == [("2h", SMS, VISIT - timedelta(hours=2))]


def test_the_last_reminder_is_not_sent_at_once_in_quiet_hours():
    start = ny(2027, 3, 10, 8, 15)
    assert planned(start, ny(2027, 3, 10, 7, 45)) == []  # 07:45 is quiet: the confirmation alone goes out
    assert planned(start, ny(2027, 3, 9, 23, 0)) == []  # so is 23:00 the evening before


def test_a_last_reminder_moved_out_of_quiet_hours_into_the_past_goes_at_once():
    start = ny(2027, 3, 10, 9, 0)  # 2 h before is 07:00: quiet, so it was due 20:59 the evening before
    now = ny(2027, 3, 10, 8, 5)
    assert planned(start, now) == [Planned("2h", SMS, now)]


def test_a_last_reminder_moved_before_quiet_hours_stays_ahead_when_booked_earlier():
    start = ny(2027, 3, 10, 9, 0)
    assert planned(start, ny(2027, 3, 9, 20, 0)) == [Planned("2h", SMS, ny(2027, 3, 9, 20, 59))]


def test_nothing_is_planned_for_a_visit_that_has_started():
    assert planned(VISIT, VISIT) == []
    assert planned(VISIT, VISIT + timedelta(minutes=5)) == []


def test_a_non_last_reminder_moved_into_the_past_by_quiet_hours_is_skipped():
    rules = parse_policy(
        [
            {"name": "12h", "minutes_before": 720, "channels": ["sms"]},
            {"name": "1h", "minutes_before": 60, "channels": ["sms"]},
        ]
    )
    start = ny(2027, 3, 10, 9, 0)  # 12 h before is 21:00 (quiet) -> 20:59, which is past at 20:59:30
    now = ny(2027, 3, 9, 20, 59) + timedelta(seconds=30)
    assert [p.rule for p in planned(start, now, rules=rules)] == ["1h"]


@pytest.mark.parametrize(
    "patient, due_48h, due_2h",
    [
        (NY, ny(2027, 3, 8, 10), ny(2027, 3, 10, 8)),
        (LONDON, ny(2027, 3, 8, 10), ny(2027, 3, 10, 8)),  # 15:00 and 13:00 GMT: fine
        # Tokyo: 10:00 EST is 00:00 JST; 48 h before -> 20:59 JST the evening before, 2 h before (22:00) too.
        (TOKYO, datetime(2027, 3, 8, 20, 59, tzinfo=TOKYO), datetime(2027, 3, 10, 20, 59, tzinfo=TOKYO)),
    ],
    ids=["new-york", "london", "tokyo"],
)
def test_quiet_hours_are_the_patients(patient, due_48h, due_2h):
    out = planned(VISIT, ny(2027, 3, 1, 7), patient=patient, channels=frozenset({SMS}))
    assert [(p.rule, p.due) for p in out] == [("48h", due_48h), ("2h", due_2h)]


def test_day_offset_keeps_wall_time_across_the_us_change():
    start = ny(2027, 3, 15, 9, 0)  # Monday after the change
    out = planned(start, ny(2027, 3, 1, 7), channels=frozenset({EMAIL}))
    assert out == [Planned("48h", EMAIL, ny(2027, 3, 13, 9, 0))]
    assert start - out[0].due == timedelta(hours=47)


# --- parse_policy ------------------------------------------------------------------------------------------

CUSTOM = [
    {"name": "1d", "minutes_before": 1440, "channels": ["sms", "sms", "email"]},
    {"name": "1w", "minutes_before": 10080, "channels": ["email"]},
]


def test_none_is_the_default_policy():
    assert parse_policy(None) == DEFAULT_POLICY
    assert [r.name for r in DEFAULT_POLICY if r.last] == ["2h"]


def test_a_policy_is_sorted_deduplicated_and_its_last_rule_marked():
    rules = parse_policy(CUSTOM)
    assert rules == (ReminderRule("1w", 10080, (EMAIL,)), ReminderRule("1d", 1440, (SMS, EMAIL), last=True))
    assert parse_policy(policy_json(rules)) == rules
    assert parse_policy(policy_json(DEFAULT_POLICY)) == DEFAULT_POLICY
    assert parse_policy([]) == ()


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "x"},
        "48h",
        [CUSTOM[0]] * 2,  # duplicate names
        [dict(CUSTOM[0], name=f"r{i}") for i in range(7)],  # more than 6
        [None],
        [dict(CUSTOM[0], name="")],
        [dict(CUSTOM[0], name="x" * 17)],
        [dict(CUSTOM[0], name="café")],
        [dict(CUSTOM[0], name=5)],
        [dict(CUSTOM[0], minutes_before=14)],
        [dict(CUSTOM[0], minutes_before=20161)],
        [dict(CUSTOM[0], minutes_before=True)],
        [dict(CUSTOM[0], minutes_before=60.0)],
        [dict(CUSTOM[0], minutes_before="60")],
        [dict(CUSTOM[0], channels=[])],
        [dict(CUSTOM[0], channels=["fax"])],
        [dict(CUSTOM[0], channels="sms")],
        [dict(CUSTOM[0], channels=[["sms"]])],  # unhashable items must not escape as TypeError
        [dict(CUSTOM[0], channels=[{"sms": 1}])],
        [{k: v for k, v in CUSTOM[0].items() if k != "channels"}],
    ],
)
def test_invalid_policies_raise_value_error(raw):
    with pytest.raises(ValueError):
        parse_policy(raw)


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)
# Near-valid rules, so the deeper checks are reached as well as the top-level ones.
rule_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.text(max_size=20), json_like),
        "minutes_before": st.one_of(st.integers(-10, 30000), json_like),
        "channels": st.one_of(st.lists(st.sampled_from([SMS, EMAIL, "fax"]), max_size=3), json_like),
    },
)
policies = st.one_of(json_like, st.lists(st.one_of(rule_like, json_like), max_size=8))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies)
@example([{"name": "a", "minutes_before": 60, "channels": [["sms"]]}])
@example([{"name": "a", "minutes_before": 60, "channels": [{}]}])
def test_parse_policy_raises_nothing_but_value_error(raw):
    try:
        rules = parse_policy(raw)
    except ValueError:
        return
    assert raw is None or isinstance(raw, list)
    assert all(isinstance(r, ReminderRule) and 15 <= r.minutes_before <= 20160 for r in rules)
    assert all(r.channels and set(r.channels) <= {SMS, EMAIL} for r in rules)
    assert [r.last for r in rules] == [False] * (len(rules) - 1) + [True] * bool(rules)
    assert [r.minutes_before for r in rules] == sorted((r.minutes_before for r in rules), reverse=True)
