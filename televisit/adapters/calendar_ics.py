"""iCalendar files built with `icalendar`, with a VTIMEZONE that independent readers resolve.

icalendar's generated VTIMEZONE packs many RDATEs into one comma-separated property, which
ical.js and vobject misread; we write one STANDARD/DAYLIGHT block per real transition instead,
covering the year before the visit to two years after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

from televisit.domain.timezones import get_zone, transitions

PRODID = "-//Televisit//Spine Tumor Program Scheduling//EN"


@dataclass(frozen=True)
class Invite:
    """What a calendar entry says; no clinical details beyond the visit type name."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    zone_name: str
    summary: str
    location: str
    description: str
    url: str | None
    status: str  # CONFIRMED or CANCELLED
    organizer_email: str
    organizer_name: str
    attendee_email: str | None
    attendee_name: str | None
    stamp: datetime


def vtimezone(zone_name: str, around: datetime) -> Timezone:
    """A VTIMEZONE listing each offset change from a year before `around` to two years after."""
    zone = get_zone(zone_name)
    tz = Timezone()
    tz.add("tzid", zone_name)
    lo = datetime(around.year - 1, 1, 1, tzinfo=timezone.utc)
    hi = datetime(around.year + 3, 1, 1, tzinfo=timezone.utc)
    changes = transitions(zone, lo, hi)
    if not changes:  # a zone without DST: one STANDARD block
        offset = around.astimezone(zone).utcoffset()
        tz.add_component(_block(TimezoneStandard(), lo, offset, offset, around.astimezone(zone).tzname()))
        return tz
    for at, before, after in changes:
        local_name = at.astimezone(zone).tzname()
        sub = TimezoneDaylight() if at.astimezone(zone).dst() else TimezoneStandard()
        tz.add_component(_block(sub, at, before, after, local_name))
    return tz


def _block(sub, at: datetime, before: timedelta, after: timedelta, name: str | None):
    # DTSTART of a VTIMEZONE block is local time in the *old* offset, floating.
    sub.add("dtstart", (at + before).replace(tzinfo=None))
    sub.add("tzoffsetfrom", before)
    sub.add("tzoffsetto", after)
    if name:
        sub.add("tzname", name)
    return sub


def ical_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """`instant` as wall time in `zone`, or in UTC when that wall time occurs twice (fall-back hour).

    A TZID time in the repeated hour is ambiguous on the wire: vobject takes the first occurrence,
    ical.js the second; only a UTC value reads the same everywhere.
    """
    local = instant.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return instant.astimezone(timezone.utc)
    return local


def build(invite: Invite, *, method: str | None = None) -> bytes:
    """The .ics bytes for one visit; `method` REQUEST/CANCEL for email invitations."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add_component(vtimezone(invite.zone_name, invite.start))
    cal.add_component(_event(invite))
    return cal.to_ical()


def build_many(invites: list[Invite], *, method: str | None = None) -> bytes:
    """One .ics for several visits (a clinic day, a course): one VEVENT each, one VTIMEZONE per zone."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    for zone_name in dict.fromkeys(inv.zone_name for inv in invites):
        cal.add_component(vtimezone(zone_name, min(inv.start for inv in invites if inv.zone_name == zone_name)))
    for inv in invites:
        cal.add_component(_event(inv))
    return cal.to_ical()


def _event(inv: Invite) -> Event:
    zone = get_zone(inv.zone_name)
    ev = Event()
    ev.add("uid", inv.uid)
    ev.add("sequence", inv.sequence)
    ev.add("dtstamp", inv.stamp.astimezone(timezone.utc))
    ev.add("dtstart", ical_time(inv.start, zone))
    ev.add("dtend", ical_time(inv.end, zone))
    ev.add("summary", inv.summary)
    ev.add("location", inv.location)
    ev.add("description", inv.description)
    ev.add("status", inv.status)
    if inv.url:
        ev.add("url", inv.url)
    organizer = vCalAddress(f"mailto:{inv.organizer_email}")
    organizer.params["cn"] = vText(inv.organizer_name)
    ev.add("organizer", organizer)
    if inv.attendee_email:
        attendee = vCalAddress(f"mailto:{inv.attendee_email}")
        attendee.params.update(
            {"cn": vText(inv.attendee_name or ""), "role": vText("REQ-PARTICIPANT"), "rsvp": vText("FALSE")}
        )
        ev.add("attendee", attendee)
    return ev
