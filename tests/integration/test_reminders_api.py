"""Reminders through the real path on both databases: book, move and cancel through the API, move the
clock, run the jobs (repeatedly, to prove nothing goes twice), and read what the fake Twilio and the local
SMTP server received. The Ohio patient (`other`, New York zone) has a Cleveland visit, Mon 8 Mar 10:00 EST.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from televisit.extensions import db
from televisit.models import OutboxMessage
from tests.conftest import NOW, US_PHONE

VISIT = "2027-03-08T10:00:00-05:00"  # 15:00Z
DUE_48H = "2027-03-06T15:00:00+00:00"  # Saturday 10:00 EST
DUE_2H = "2027-03-08T13:00:00+00:00"  # 08:00 EST: the first minute after quiet hours
CONFIRMED = {("confirmation", "email", 0): 1, ("confirmation", "sms", 0): 1}


def deliveries(m) -> Counter:
    """(rule, channel, sequence) of each SMS the fake Twilio accepted and each email the SMTP server got."""
    out: Counter = Counter()
    db.session.expire_all()
    for msg in list(m.twilio.messages):
        row = db.session.get(OutboxMessage, int(msg["status_callback"].rsplit("o=", 1)[1]))
        out[(row.rule, "sms", row.sequence)] += 1
    for em in list(m.smtp.recorder.messages):
        _, _, rule, channel, seq = em["Message-ID"].strip("<>").split("@")[0].split(".")
        out[(rule, channel, int(seq[1:]))] += 1
    return out


def run_at(sms, m, instant, times: int = 3) -> None:
    """Run the jobs `times` times with the clock at `instant`."""
    for _ in range(times):
        sms.at(instant)
        m.run_jobs()


def walk(sms, m, steps) -> None:
    """At each (instant, expected deliveries so far), run the jobs and compare."""
    for instant, expected in steps:
        run_at(sms, m, instant)
        assert deliveries(m) == Counter(expected), instant


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_booking_plans_the_confirmation_and_both_reminders(sms):
    appt = sms.book("other", mode="in_person", start=VISIT)
    rows = {(r.rule, r.channel): r for r in sms.rows(appointment_id=appt["id"])}
    assert sorted(rows) == [
        ("2h", "sms"),
        ("48h", "email"),
        ("48h", "sms"),
        ("confirmation", "email"),
        ("confirmation", "sms"),
    ]
    assert {r.status for r in rows.values()} == {"pending"} and {r.sequence for r in rows.values()} == {0}
    assert rows[("confirmation", "sms")].due_at == NOW
    assert rows[("48h", "email")].due_at == rows[("48h", "sms")].due_at == utc(DUE_48H)
    assert rows[("2h", "sms")].due_at == utc(DUE_2H)
    assert rows[("2h", "sms")].key == f"a{appt['id']}:2h:sms:s0"


def test_each_message_goes_out_when_due_and_never_twice(sms, messaging):
    sms.book("other", mode="in_person", start=VISIT)
    reminded = {**CONFIRMED, ("48h", "email", 0): 1, ("48h", "sms", 0): 1}
    walk(
        sms,
        messaging,
        [
            (NOW, CONFIRMED),
            ("2027-03-06T14:59:00+00:00", CONFIRMED),
            (DUE_48H, reminded),
            ("2027-03-08T12:59:00+00:00", reminded),
            (DUE_2H, {**reminded, ("2h", "sms", 0): 1}),
            ("2027-03-08T16:00:00+00:00", {**reminded, ("2h", "sms", 0): 1}),
        ],
    )
    for row in sms.rows(rule="48h") + sms.rows(rule="2h"):
        assert row.status == "sent" and row.sent_at == row.due_at, row.key
    assert len(messaging.twilio.bodies_to(US_PHONE)) == 3
    assert "10:00 AM EST" in messaging.twilio.bodies_to(US_PHONE)[-1]


def test_reschedule_withdraws_every_pending_reminder_and_plans_the_new_time(sms, messaging):
    appt = sms.book("other", mode="in_person", start=VISIT)
    run_at(sms, messaging, NOW)
    sms.at("2027-03-02T15:00:00+00:00")
    moved = sms.act(appt["id"], "reschedule", {"start": "2027-03-15T10:00:00-04:00"}, who="other")
    assert moved["sequence"] == 1
    old = sms.rows(appointment_id=appt["id"], sequence=0)
    assert {(r.rule, r.status) for r in old} == {("confirmation", "sent"), ("48h", "withdrawn"), ("2h", "withdrawn")}
    after_move = {**CONFIRMED, ("moved", "email", 1): 1, ("moved", "sms", 1): 1}
    new_48h = {**after_move, ("48h", "email", 1): 1, ("48h", "sms", 1): 1}
    walk(
        sms,
        messaging,
        [
            ("2027-03-02T15:00:00+00:00", after_move),
            (DUE_48H, after_move),  # the old visit's reminders never go out, even when the clock passes them
            (DUE_2H, after_move),
            ("2027-03-08T16:00:00+00:00", after_move),
            ("2027-03-13T14:59:00+00:00", after_move),
            ("2027-03-13T15:00:00+00:00", new_48h),  # Saturday 10:00 EST before a Monday 10:00 EDT visit
            ("2027-03-15T11:59:00+00:00", new_48h),
            ("2027-03-15T12:00:00+00:00", {**new_48h, ("2h", "sms", 1): 1}),
        ],
    )
    emails = {em["Message-ID"].split(".")[2]: em for em in messaging.smtp.recorder.to("other@example.org")}
    first, second = (_calendar(emails[k]) for k in ("confirmation", "moved"))
    assert "METHOD:REQUEST" in second and "SEQUENCE:1" in second and "SEQUENCE:0" in first
    assert _uid(first) == _uid(second)


def test_reschedule_after_the_48h_went_out_never_sends_the_old_2h(sms, messaging):
    appt = sms.book("other", mode="in_person", start=VISIT)
    reminded = {**CONFIRMED, ("48h", "email", 0): 1, ("48h", "sms", 0): 1}
    walk(sms, messaging, [(NOW, CONFIRMED), (DUE_48H, reminded)])
    sms.at("2027-03-07T15:00:00+00:00")  # Sunday: move it one hour later, 11:00 EST
    sms.act(appt["id"], "reschedule", {"start": "2027-03-08T11:00:00-05:00"}, who="other")
    moved = {**reminded, ("moved", "email", 1): 1, ("moved", "sms", 1): 1}
    # the new 48 h reminder's time (Sat 11:00 EST) has passed: skipped, the move notice says it all
    assert {r.rule for r in sms.rows(appointment_id=appt["id"], sequence=1)} == {"moved", "2h"}
    walk(
        sms,
        messaging,
        [
            ("2027-03-07T15:00:00+00:00", moved),
            (DUE_2H, moved),
            ("2027-03-08T13:59:00+00:00", moved),
            ("2027-03-08T14:00:00+00:00", {**moved, ("2h", "sms", 1): 1}),
        ],
    )
    assert sms.row(rule="2h", sequence=0).status == "withdrawn"


def test_cancel_withdraws_the_reminders_and_sends_the_cancellation(sms, messaging):
    appt = sms.book("other", mode="in_person", start=VISIT)
    run_at(sms, messaging, NOW)
    sms.at("2027-03-02T15:00:00+00:00")
    sms.act(appt["id"], "cancel", {"reason": "feeling better"}, who="other")
    assert {r.status for r in sms.rows(appointment_id=appt["id"], rule="48h")} == {"withdrawn"}
    cancelled = {**CONFIRMED, ("cancelled", "email", 0): 1, ("cancelled", "sms", 0): 1}
    walk(
        sms,
        messaging,
        [
            ("2027-03-02T15:00:00+00:00", cancelled),
            (DUE_48H, cancelled),
            (DUE_2H, cancelled),
        ],
    )
    assert "cancelled" in messaging.twilio.bodies_to(US_PHONE)[-1]
    emails = {em["Message-ID"].split(".")[2]: em for em in messaging.smtp.recorder.to("other@example.org")}
    cancel_ics, request_ics = _calendar(emails["cancelled"]), _calendar(emails["confirmation"])
    assert "METHOD:CANCEL" in cancel_ics and "STATUS:CANCELLED" in cancel_ics
    assert _uid(cancel_ics) == _uid(request_ics)


def test_booking_thirty_minutes_ahead_sends_the_2h_video_sms_at_once(sms, messaging):
    sms.at("2027-03-08T14:30:00+00:00")  # 09:30 EST, not quiet hours
    appt = sms.book("other", mode="virtual", start=VISIT)
    assert sorted((r.rule, r.channel) for r in sms.rows(appointment_id=appt["id"])) == [
        ("2h", "sms"),
        ("confirmation", "email"),
        ("confirmation", "sms"),
    ]
    run_at(sms, messaging, "2027-03-08T14:30:00+00:00")
    assert deliveries(messaging) == Counter({**CONFIRMED, ("2h", "sms", 0): 1})
    row = sms.row(rule="2h")
    assert row.sent_at == datetime.fromisoformat("2027-03-08T14:30:00+00:00")
    assert "video visit" in row.body_text and f"{messaging.url}/l/join/" in row.body_text
    assert row.body_text in messaging.twilio.bodies_to(US_PHONE)


def test_a_visit_types_own_policy_is_honoured(sms, messaging):
    sms.p.consult.reminder_policy = [
        {"name": "1d", "minutes_before": 1440, "channels": ["sms"]},
        {"name": "30m", "minutes_before": 30, "channels": ["email", "sms"]},
    ]
    db.session.commit()
    sms.book("other", mode="in_person", start=VISIT)
    assert sorted({r.rule for r in sms.rows()}) == ["1d", "30m", "confirmation"]
    day = {**CONFIRMED, ("1d", "sms", 0): 1}
    walk(
        sms,
        messaging,
        [
            (NOW, CONFIRMED),
            (DUE_48H, CONFIRMED),  # the default reminders are not planned
            ("2027-03-07T14:59:00+00:00", CONFIRMED),
            ("2027-03-07T15:00:00+00:00", day),  # Sunday 10:00 EST
            (DUE_2H, day),
            ("2027-03-08T14:29:00+00:00", day),
            ("2027-03-08T14:30:00+00:00", {**day, ("30m", "sms", 0): 1, ("30m", "email", 0): 1}),
        ],
    )


def _calendar(em) -> str:
    part = next(p for p in em.walk() if p.get_content_type() == "text/calendar")
    return part.get_content().replace("\r\n ", "")


def _uid(ics: str) -> str:
    return next(line for line in ics.splitlines() if line.startswith("UID:"))
