"""When each message about a visit is due: the reminder policy, quiet hours and DST. Pure.

Policy (docs/messaging.md):

* A rule is an offset before the visit start. Offsets of whole days keep the wall-clock time at the
  visit's site (a 09:00 visit is reminded at 09:00 two days before, even across a DST change);
  other offsets are elapsed time.
* Quiet hours are 21:00-08:00 in the *patient's* zone. A message due inside them goes out earlier,
  in the last allowed minute before they began (20:59 local the evening before or that evening).
* A reminder whose due time has already passed when the visit is booked or moved is skipped: the
  confirmation that goes out at once carries the same information. The last reminder (the 2-hour
  SMS, which carries the video link) is instead sent at once when the visit is still ahead and it is
  not quiet hours for the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from televisit.domain.timezones import UTC, to_local, wall_to_instant

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
SMS, EMAIL = "sms", "email"


@dataclass(frozen=True)
class ReminderRule:
    """A reminder `minutes_before` the visit on the given channels; `name` keys the outbox."""

    name: str
    minutes_before: int
    channels: tuple[str, ...]
    last: bool = False  # the final reminder: sent at once if its time has passed but the visit has not


DEFAULT_POLICY: tuple[ReminderRule, ...] = (
    ReminderRule("48h", 48 * 60, (EMAIL, SMS)),
    ReminderRule("2h", 2 * 60, (SMS,), last=True),
)


def parse_policy(raw: object) -> tuple[ReminderRule, ...]:
    """A policy from its stored JSON form: [{"name", "minutes_before", "channels"}], validated."""
    if raw is None:
        return DEFAULT_POLICY
    if not isinstance(raw, list) or len(raw) > 6:
        raise ValueError("expected a list of at most 6 reminder rules")
    rules = [_parse_rule(item) for item in raw]
    if len({r.name for r in rules}) != len(rules):
        raise ValueError("reminder names must be unique")
    rules.sort(key=lambda r: -r.minutes_before)
    if rules:
        rules[-1] = ReminderRule(rules[-1].name, rules[-1].minutes_before, rules[-1].channels, last=True)
    return tuple(rules)


def _parse_rule(item: object) -> ReminderRule:
    if not isinstance(item, dict):
        raise ValueError("each reminder rule is an object")
    name, minutes, channels = item.get("name"), item.get("minutes_before"), item.get("channels")
    if not isinstance(name, str) or not name.isascii() or not 0 < len(name) <= 16:
        raise ValueError("a reminder name is 1-16 ASCII characters")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 15 <= minutes <= 14 * 24 * 60:
        raise ValueError("minutes_before must be from 15 to 20160")
    if not isinstance(channels, list) or not channels or not all(ch in (SMS, EMAIL) for ch in channels):
        raise ValueError("channels is a non-empty list of 'sms' and 'email'")
    return ReminderRule(name, minutes, tuple(dict.fromkeys(channels)))


def policy_json(rules: tuple[ReminderRule, ...]) -> list[dict]:
    """The stored JSON form of a policy."""
    return [{"name": r.name, "minutes_before": r.minutes_before, "channels": list(r.channels)} for r in rules]


def nominal_due(start: datetime, minutes_before: int, site_zone: ZoneInfo) -> datetime:
    """When a rule falls, before quiet hours: whole days keep the site's wall time, else elapsed time."""
    if minutes_before % (24 * 60):
        return start - timedelta(minutes=minutes_before)
    local = to_local(start, site_zone)
    day = local.date() - timedelta(days=minutes_before // (24 * 60))
    return wall_to_instant(day, local.hour * 60 + local.minute, site_zone)


def is_quiet(instant: datetime, patient_zone: ZoneInfo) -> bool:
    """True between 21:00 and 08:00 on the patient's wall clock."""
    t = to_local(instant, patient_zone).time()
    return t >= QUIET_START or t < QUIET_END


def before_quiet(instant: datetime, patient_zone: ZoneInfo) -> datetime:
    """`instant`, or when it is quiet there, the last allowed minute (20:59) before the quiet began."""
    if not is_quiet(instant, patient_zone):
        return instant
    local = to_local(instant, patient_zone)
    day: date = local.date() if local.time() >= QUIET_START else local.date() - timedelta(days=1)
    return wall_to_instant(day, QUIET_START.hour * 60 - 1, patient_zone).astimezone(UTC)


@dataclass(frozen=True)
class Planned:
    """A reminder to put in the outbox."""

    rule: str
    channel: str
    due: datetime


def plan(
    start: datetime,
    *,
    rules: tuple[ReminderRule, ...],
    site_zone: ZoneInfo,
    patient_zone: ZoneInfo,
    now: datetime,
    channels: frozenset[str],
) -> list[Planned]:
    """The reminders to send for a visit at `start`, booked or moved at `now`."""
    out: list[Planned] = []
    for rule in rules:
        due = before_quiet(nominal_due(start, rule.minutes_before, site_zone), patient_zone)
        if due <= now:
            if not (rule.last and start > now and not is_quiet(now, patient_zone)):
                continue
            due = now
        out.extend(Planned(rule.name, ch, due) for ch in rule.channels if ch in channels)
    return out
