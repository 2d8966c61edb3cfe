"""Invitations for visits on and around DST changes, read by vobject and ical.js, land on appointment.start_at.

Real path: book through the API with clinicians who work round the clock (so the transition nights themselves
can be booked), run the jobs, take the text/calendar part of each email the SMTP server received.
US changes: 2027-03-14 and 11-07; UK: 2027-03-28 and 10-31; between them the US/UK "gap weeks".
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import Appointment
from tests import factories as f
from tests.support.ical_readers import icaljs_read, iso_z, vobject_calendar, vobject_read
from tests.support.mailparts import text_of

BOTH = ("virtual", "in_person")
NY_STARTS = [
    "2027-03-13T09:00:00-05:00",
    "2027-03-14T01:00:00-05:00",  # ends at 03:00 EDT, across the gap
    "2027-03-14T03:00:00-04:00",
    "2027-03-15T09:00:00-04:00",
    "2027-03-22T09:00:00-04:00",  # gap week: New York is 4 hours behind London
    "2027-03-28T09:00:00-04:00",
    "2027-03-29T09:00:00-04:00",
    "2027-10-31T09:00:00-04:00",
    "2027-11-01T09:00:00-04:00",  # gap week again
    "2027-11-07T01:00:00-04:00",  # the repeated hour, first time
    "2027-11-07T01:00:00-05:00",  # and second time
    "2027-11-07T09:00:00-05:00",
    "2027-11-08T09:00:00-05:00",
]
LONDON_STARTS = [
    "2027-03-15T09:00:00+00:00",  # gap week seen from London
    "2027-03-27T09:00:00+00:00",
    "2027-03-28T00:00:00+00:00",  # ends at 02:00 BST, across the gap
    "2027-03-28T02:00:00+01:00",
    "2027-03-28T09:00:00+01:00",
    "2027-03-29T09:00:00+01:00",
    "2027-10-30T09:00:00+01:00",
    "2027-10-31T01:00:00+01:00",  # the repeated hour, BST
    "2027-10-31T01:00:00+00:00",  # and GMT
    "2027-10-31T09:00:00+00:00",
    "2027-11-01T09:00:00+00:00",
    "2027-11-07T09:00:00+00:00",
    "2027-11-08T09:00:00+00:00",
]


def _round_the_clock(p, site: str):
    loc = p.cleveland if site == "cleveland" else p.london
    licenses = ("US-OH",) if site == "cleveland" else ("GB",)
    rules = [(loc, weekday, 0, 24 * 60, BOTH) for weekday in range(7)]
    return f.clinician(f"Dr. Night {site}", visit_types=[p.consult], licenses=licenses, rules=rules), loc


def _book(m, p, doc, loc, who: str, start: str) -> int:
    body = {"visit_type_id": p.consult.id, "clinician_id": doc.id, "location_id": loc.id, "mode": "in_person"}
    body |= {"start": start, "patient_id": p.users[who].patient_id}
    r = m.client.post("/api/v1/appointments", json=body, headers=f.token(m.client, "sched@example.org"))
    assert r.status_code == 201, (start, r.json)
    return r.json["id"]


def _invitations(m, address: str) -> dict[str, str]:
    """UID -> the .ics of the latest email to `address` for it."""
    out = {}
    for msg in m.smtp.recorder.to(address):
        ics = text_of(msg, "text/calendar")
        out[vobject_calendar(ics).vevent.uid.value] = ics
    return out


def _read_both(ics: str) -> tuple[dict, dict]:
    (vo,) = vobject_read(ics)["events"]
    (js,) = icaljs_read(ics)["events"]
    return vo, js


@pytest.mark.parametrize(
    ("site", "who", "starts"),
    [("cleveland", "other", NY_STARTS), ("london", "patient", LONDON_STARTS)],
    ids=["new-york", "london"],
)
def test_both_readers_resolve_each_invitation_to_the_booked_instant(messaging, site, who, starts):
    m, p = messaging, f.program()
    doc, loc = _round_the_clock(p, site)
    ids = [_book(m, p, doc, loc, who, start) for start in starts]
    m.run_jobs()
    invitations = _invitations(m, p.users[who].email)
    appts = db.session.scalars(select(Appointment).where(Appointment.id.in_(ids)).order_by(Appointment.id)).all()
    assert len(invitations) == len(appts) == len(starts)
    for appt, requested in zip(appts, starts, strict=True):
        assert appt.start_at == datetime.fromisoformat(requested)  # the API booked the instant asked for
        vo, js = _read_both(invitations[appt.uid])
        want = (iso_z(appt.start_at), iso_z(appt.end_at))
        assert (vo["start"], vo["end"]) == want, f"vobject, {requested}"
        assert (vo["zoned_start"], vo["zoned_end"]) == want, f"vobject on the file's VTIMEZONE, {requested}"
        assert (js["start"], js["end"]) == want, f"ical.js, {requested}"


def test_a_move_within_the_repeated_hour_reaches_calendars_as_a_new_instant(messaging):
    """01:00 EDT -> 01:00 EST on 2027-11-07: the same wall clock, an hour later; the update must say so."""
    m, p = messaging, f.program()
    doc, loc = _round_the_clock(p, "cleveland")
    appt_id = _book(m, p, doc, loc, "other", "2027-11-07T01:00:00-04:00")
    m.run_jobs()
    headers = f.token(m.client, "sched@example.org")
    r = m.client.post(
        f"/api/v1/appointments/{appt_id}/reschedule", json={"start": "2027-11-07T01:00:00-05:00"}, headers=headers
    )
    assert (r.status_code, r.json.get("sequence")) == (200, 1), r.json
    m.run_jobs()
    first, moved = m.smtp.recorder.to("other@example.org")
    assert "1:00 AM EDT" in text_of(first, "text/plain") and "1:00 AM EST" in text_of(moved, "text/plain")
    for msg, sequence, want in ((first, 0, "2027-11-07T05:00:00Z"), (moved, 1, "2027-11-07T06:00:00Z")):
        ics = text_of(msg, "text/calendar")
        vo, js = _read_both(ics)
        assert (vo["sequence"], js["sequence"]) == (sequence, sequence)
        assert vo["start"] == vo["zoned_start"] == js["start"] == want
