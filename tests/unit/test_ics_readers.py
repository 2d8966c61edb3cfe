"""Invitations read by two independent readers (vobject, ical.js) land on the exact instant, around every DST change.

The site zones change on different Sundays (US: 2027-03-14 and 11-07; UK: 2027-03-28 and 10-31), so the
weeks between are "gap weeks" where New York and London are 4 hours apart instead of 5. Each case is a wall
time at the site; the invitation must carry it (TZID + our VTIMEZONE) so that both readers get it back.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from televisit.adapters.calendar_ics import Invite, build
from televisit.domain.timezones import transitions
from tests.support.ical_readers import icaljs_read, iso_z, vobject_read

UTC = timezone.utc
NY, LON = "America/New_York", "Europe/London"

CASES = [
    # New York: spring forward 2027-03-14 02:00 -> 03:00, fall back 2027-11-07 02:00 -> 01:00
    (NY, "2027-03-12T09:00", 0),
    (NY, "2027-03-13T09:00", 0),
    (NY, "2027-03-14T01:30", 0),  # the last half hour before the gap
    (NY, "2027-03-14T03:00", 0),  # the first minute after it
    (NY, "2027-03-14T09:00", 0),
    (NY, "2027-03-15T09:00", 0),
    (NY, "2027-03-22T09:00", 0),  # spring gap week: US on EDT, UK still on GMT
    (NY, "2027-03-28T09:00", 0),
    (NY, "2027-03-29T09:00", 0),
    (NY, "2027-10-31T09:00", 0),
    (NY, "2027-11-01T09:00", 0),  # autumn gap week: UK back on GMT, US still on EDT
    (NY, "2027-11-06T23:30", 0),
    (NY, "2027-11-07T00:30", 0),
    (NY, "2027-11-07T01:30", 0),  # the repeated hour, first time (EDT)
    (NY, "2027-11-07T01:30", 1),  # and second time (EST)
    (NY, "2027-11-07T09:00", 0),
    (NY, "2027-11-08T09:00", 0),
    (NY, "2027-12-31T23:30", 0),  # year boundary
    # London: spring forward 2027-03-28 01:00 -> 02:00, fall back 2027-10-31 02:00 -> 01:00
    (LON, "2027-03-15T09:00", 0),
    (LON, "2027-03-27T09:00", 0),
    (LON, "2027-03-28T00:30", 0),
    (LON, "2027-03-28T02:30", 0),
    (LON, "2027-03-28T09:00", 0),
    (LON, "2027-03-29T09:00", 0),
    (LON, "2027-10-30T09:00", 0),
    (LON, "2027-10-31T01:30", 0),  # repeated hour, BST
    (LON, "2027-10-31T01:30", 1),  # repeated hour, GMT
    (LON, "2027-10-31T09:00", 0),
    (LON, "2027-11-01T09:00", 0),
    (LON, "2027-11-07T09:00", 0),
    (LON, "2027-11-08T09:00", 0),
    ("America/Phoenix", "2027-06-01T09:00", 0),  # a zone without DST: one STANDARD block
]
STAMP = datetime(2027, 3, 1, 12, tzinfo=UTC)


def _instant(zone: str, wall: str, fold: int) -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def _invite(zone: str, start: datetime, minutes: int = 60, **extra) -> Invite:
    fields = dict(
        uid="a1-test@televisit",
        sequence=0,
        start=start,
        end=start + timedelta(minutes=minutes),
        zone_name=zone,
        summary="Consult with Dr. Test",
        location="Cleveland, Cleveland",
        description="Televisit appointment.",
        url=None,
        status="CONFIRMED",
        organizer_email="no-reply@televisit.local",
        organizer_name="Spine Tumor Program",
        attendee_email="pat@example.org",
        attendee_name="Pat",
        stamp=STAMP,
    )
    return Invite(**{**fields, **extra})


def _repeated(zone: str, wall: str) -> bool:
    naive = datetime.fromisoformat(wall)
    z = ZoneInfo(zone)
    return naive.replace(tzinfo=z, fold=0).utcoffset() != naive.replace(tzinfo=z, fold=1).utcoffset()


@pytest.mark.parametrize(("zone", "wall", "fold"), CASES, ids=[f"{z.split('/')[1]}-{w}-f{f}" for z, w, f in CASES])
def test_both_readers_resolve_the_exact_instant(zone, wall, fold):
    start = _instant(zone, wall, fold)
    ics = build(_invite(zone, start), method="REQUEST")
    want = (iso_z(start), iso_z(start + timedelta(hours=1)))
    (vo,) = vobject_read(ics)["events"]
    (js,) = icaljs_read(ics)["events"]
    assert (vo["start"], vo["end"]) == want, "vobject"
    assert (vo["zoned_start"], vo["zoned_end"]) == want, "vobject on the file's own VTIMEZONE"
    assert (js["start"], js["end"]) == want, "ical.js"
    text = ics.decode()
    if _repeated(zone, wall):  # readers disagree on which 01:30 a TZID time means: only UTC is unambiguous
        assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in text
    else:
        local = start.astimezone(ZoneInfo(zone))
        assert f"DTSTART;TZID={zone}:{local:%Y%m%dT%H%M%S}" in text
        assert js["tzid"] == zone  # ical.js found our VTIMEZONE (else it says "floating")


def _blocks(ics: str) -> list[tuple[str, str, str, str]]:
    tz = ics[ics.index("BEGIN:VTIMEZONE") : ics.index("END:VTIMEZONE")]
    pattern = r"BEGIN:(STANDARD|DAYLIGHT)\r\nDTSTART:(\d{8}T\d{6})\r\n(?:TZNAME:\w+\r\n)?TZOFFSETFROM:([+-]\d{4})\r\n"
    return [(kind, at, frm, to) for kind, at, frm, to in re.findall(pattern + r"TZOFFSETTO:([+-]\d{4})", tz)]


@pytest.mark.parametrize("zone", [NY, LON])
def test_vtimezone_has_one_block_per_real_transition_and_no_rdate_lists(zone):
    start = _instant(zone, "2027-07-01T09:00", 0)
    ics = build(_invite(zone, start)).decode()
    assert ics.count("BEGIN:VTIMEZONE") == 1 and f"TZID:{zone}\r\n" in ics
    assert "RDATE" not in ics and "RRULE" not in ics
    z = ZoneInfo(zone)
    real = transitions(z, datetime(2026, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
    assert len(real) == 8  # 2026..2029, two a year
    expected = [
        (
            "DAYLIGHT" if at.astimezone(z).dst() else "STANDARD",
            f"{(at + before).replace(tzinfo=None):%Y%m%dT%H%M%S}",
            _offset(before),
            _offset(after),
        )
        for at, before, after in real
    ]
    assert _blocks(ics) == expected


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def test_invitation_carries_method_uid_sequence_status_and_no_reason_field():
    start = _instant(NY, "2027-03-15T09:00", 0)
    ics = build(_invite(NY, start, sequence=3, status="CANCELLED"), method="CANCEL")
    vo, js = vobject_read(ics), icaljs_read(ics)
    assert vo["method"] == js["method"] == "CANCEL"
    assert [(e["uid"], e["sequence"], e["status"]) for e in vo["events"]] == [("a1-test@televisit", 3, "CANCELLED")]
    assert [(e["uid"], e["sequence"], e["status"]) for e in js["events"]] == [("a1-test@televisit", 3, "CANCELLED")]


# --- why the VTIMEZONE is hand-built: icalendar's own is misread by both readers ---------------------------


def _icalendar_generated(zone: str, start: datetime) -> bytes:
    """The same event with the VTIMEZONE icalendar generates itself (add_missing_timezones)."""
    cal = Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    ev = Event()
    ev.add("uid", "generated@televisit")
    ev.add("dtstamp", STAMP)
    ev.add("dtstart", start.astimezone(ZoneInfo(zone)))
    ev.add("dtend", (start + timedelta(hours=1)).astimezone(ZoneInfo(zone)))
    cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


@pytest.mark.parametrize(("zone", "wall"), [(NY, "2027-06-01T09:00"), (LON, "2027-11-08T09:00")])
def test_icalendar_generated_vtimezone_is_misread_where_ours_is_not(zone, wall):
    start = _instant(zone, wall, 0)
    generated = _icalendar_generated(zone, start)
    rdates = re.findall(r"^RDATE:(.*(?:\r\n .*)*)", generated.decode(), flags=re.M)
    assert rdates and all("," in r for r in rdates)  # many instants packed into one comma-separated RDATE
    (vo,) = vobject_read(generated)["events"]
    (js,) = icaljs_read(generated)["events"]
    assert vo["zoned_start"] != iso_z(start) and js["start"] != iso_z(start)
    assert abs(datetime.fromisoformat(js["start"]) - start) == timedelta(hours=1)  # off by the DST hour
    ours = build(_invite(zone, start))
    assert vobject_read(ours)["events"][0]["zoned_start"] == icaljs_read(ours)["events"][0]["start"] == iso_z(start)
