"""Calendar views for the desk: which local days a day or week view covers, and how a day reads. Pure."""

from __future__ import annotations

from datetime import date, timedelta

from televisit.domain import formatting
from televisit.domain.formatting import US

DAY, WEEK = "day", "week"
VIEWS = (DAY, WEEK)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def week_start(day: date) -> date:
    """The Monday of `day`'s week (weeks start on Monday, like the weekly rules)."""
    return day - timedelta(days=day.weekday())


def view_days(view: str, day: date) -> list[date]:
    """The local dates a `view` around `day` shows: that day, or its Monday-to-Sunday week."""
    if view == WEEK:
        first = week_start(day)
        return [first + timedelta(days=i) for i in range(7)]
    return [day]


def step(view: str, day: date, direction: int) -> date:
    """The day the previous (-1) or next (+1) view starts from."""
    return day + timedelta(days=direction * (7 if view == WEEK else 1))


def day_label(day: date, locale: str) -> str:
    """'Mon, Mar 8' (US) or 'Mon 8 Mar' (UK), through Babel."""
    return formatting.day_label(day, locale)


def range_label(days: list[date], locale: str) -> str:
    """'Mon, Mar 8 – Sun, Mar 14, 2027' for a week; one day's label (with the year) otherwise."""
    first, last = days[0], days[-1]
    if first == last:
        return f"{day_label(first, locale)}{',' if locale == US else ''} {first.year}"
    return f"{day_label(first, locale)} – {day_label(last, locale)}{',' if locale == US else ''} {last.year}"


def minutes_text(minutes: int) -> str:
    """A duration for people: '45 min', '2 h', '1 h 30 min', '2 days'."""
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")
