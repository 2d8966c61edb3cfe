"""Quiet hours in the patient's own zone and DST-adjacent visits, through the API and the jobs, both databases.

Each case runs the jobs one minute before the expected instant (nothing yet) and at it (sent, once).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from televisit.extensions import db
from tests import factories as f
from tests.conftest import UK_PHONE, US_PHONE

EARLY_VISIT = "2027-03-10T07:30:00-05:00"  # Wednesday 07:30 EST in Cleveland = 12:30Z


def early_doc(sms):
    """A Cleveland clinician seeing patients every day from 06:30 (hourly slots: 06:30, 07:30, ...)."""
    p = sms.p
    rules = [(p.cleveland, wd, 6 * 60 + 30, 12 * 60, ("virtual", "in_person")) for wd in range(7)]
    return f.clinician("Dr. Early", visit_types=[p.consult], licenses=("US-OH",), rules=rules)


def check_sent_exactly_at(sms, m, rule: str, due: datetime, phone: str) -> None:
    """The `rule` SMS is not out a minute before `due`, goes at `due`, and not again on later runs."""
    for at, expected in ((due - timedelta(minutes=1), 0), (due, 1), (due, 1), (due + timedelta(hours=1), 1)):
        sms.at(at)
        m.run_jobs()
        row = sms.row(rule=rule, channel="sms")
        assert (row.status == "sent") is bool(expected), (rule, at, row.status)
        at_twilio = [msg for msg in m.twilio.messages if msg["status_callback"].endswith(f"o={row.id}")]
        assert len(at_twilio) == expected and all(msg["to"] == phone for msg in at_twilio), (rule, at)
    assert sms.row(rule=rule, channel="sms").sent_at == due


@pytest.mark.parametrize(
    "zone, due_48h, due_2h, local_note",
    [
        # London: 12:30 and 10:30 GMT, both fine where the patient is.
        ("Europe/London", "2027-03-08T12:30:00+00:00", "2027-03-10T10:30:00+00:00", "12:30 GMT your time"),
        # New York: 07:30 and 05:30 EST are quiet -> 20:59 EST the evening before each.
        ("America/New_York", "2027-03-07T20:59:00-05:00", "2027-03-09T20:59:00-05:00", None),
        # Tokyo: 21:30 JST is quiet -> 20:59 JST that evening; 19:30 JST for the 2 h is fine.
        ("Asia/Tokyo", "2027-03-08T20:59:00+09:00", "2027-03-10T10:30:00+00:00", "21:30 JST your time"),
    ],
    ids=["london", "new-york", "tokyo"],
)
def test_quiet_hours_are_those_of_the_patients_zone(sms, messaging, zone, due_48h, due_2h, local_note):
    sms.p.users["patient"].patient.timezone = zone
    doc = early_doc(sms)
    sms.book("patient", mode="in_person", start=EARLY_VISIT, clinician_id=doc.id)
    due_48h, due_2h = datetime.fromisoformat(due_48h), datetime.fromisoformat(due_2h)
    assert sms.row(rule="48h", channel="sms").due_at == due_48h
    assert sms.row(rule="48h", channel="email").due_at == due_48h
    assert sms.row(rule="2h", channel="sms").due_at == due_2h
    check_sent_exactly_at(sms, messaging, "48h", due_48h, UK_PHONE)
    check_sent_exactly_at(sms, messaging, "2h", due_2h, UK_PHONE)
    body = sms.row(rule="48h", channel="sms").body_text
    assert "7:30" in body and "EST" in body  # the site's clock first
    if local_note:
        assert local_note in body  # and the patient's own when it differs
    else:
        assert "your time" not in body


@pytest.mark.parametrize(
    "who, site, visit, due_48h, wall",
    [
        # US spring forward on Sunday 14 March: 09:00 EDT Monday -> Saturday 09:00 EST (47 elapsed hours).
        ("other", "cleveland", "2027-03-15T09:00:00-04:00", "2027-03-13T14:00:00+00:00", "9:00 AM EDT"),
        # US fall back on Sunday 7 November: 09:00 EST Monday -> Saturday 09:00 EDT (49 hours).
        ("other", "cleveland", "2027-11-08T09:00:00-05:00", "2027-11-06T13:00:00+00:00", "9:00 AM EST"),
        # UK spring forward on Sunday 28 March: 09:00 BST Monday -> Saturday 09:00 GMT.
        ("patient", "london", "2027-03-29T09:00:00+01:00", "2027-03-27T09:00:00+00:00", "09:00 BST"),
        # UK fall back on Sunday 31 October: 09:00 GMT Monday -> Saturday 09:00 BST.
        ("patient", "london", "2027-11-01T09:00:00+00:00", "2027-10-30T08:00:00+00:00", "09:00 GMT"),
    ],
    ids=["us-spring", "us-fall", "uk-spring", "uk-fall"],
)
def test_the_monday_after_a_dst_change_is_reminded_at_the_same_wall_time(
    sms, messaging, who, site, visit, due_48h, wall
):
    sms.book(who, mode="in_person", start=visit, site=site)
    due = datetime.fromisoformat(due_48h)
    assert sms.row(rule="48h", channel="sms").due_at == due
    elapsed = datetime.fromisoformat(visit) - due
    assert elapsed != timedelta(hours=48)  # the wall clock, not 48 elapsed hours
    phone = US_PHONE if who == "other" else UK_PHONE
    check_sent_exactly_at(sms, messaging, "48h", due, phone)
    assert wall in sms.row(rule="48h", channel="sms").body_text


def test_the_uk_spring_change_night_moves_the_2h_to_the_saturday_evening_clock(sms, messaging):
    # Monday 29 March 08:00 BST visit: 2 h before is 06:00 BST (quiet) -> Sunday 20:59 BST = 19:59Z.
    doc = sms.p.uk_doc
    doc.rules[0].start_minute = 7 * 60
    db.session.commit()
    sms.book("patient", mode="in_person", start="2027-03-29T08:00:00+01:00", site="london")
    due = datetime.fromisoformat("2027-03-28T19:59:00+00:00")
    assert sms.row(rule="2h", channel="sms").due_at == due
    check_sent_exactly_at(sms, messaging, "2h", due, UK_PHONE)
