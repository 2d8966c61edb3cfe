"""The claim lease, step by step in one process, on both databases.

A worker that claimed a batch and then stalls (a slow provider, a long batch) loses its rows once the
2-minute lease has run out: reconcile asks Twilio, finds nothing and requeues them, and another worker
claims them. When the stalled worker resumes it must not send them as well.
"""

from __future__ import annotations

from collections import Counter

from jobs.definitions import senders_for
from televisit.extensions import db
from televisit.services.messaging import dispatch, reconcile
from televisit.services.messaging.messages import settings_from
from tests.conftest import NOW, US_PHONE

VISIT = "2027-03-08T10:00:00-05:00"
LATER = NOW + dispatch.LEASE + dispatch.LEASE  # well past the lease of a claim made at NOW


def _tools(m):
    return senders_for(m.app), settings_from(m.app.config)


def _at_the_fakes(m) -> Counter:
    """How many times each outbox row reached the fake Twilio (SMS) or the SMTP server (email)."""
    out: Counter = Counter(int(msg["status_callback"].rsplit("o=", 1)[1]) for msg in list(m.twilio.messages))
    out.update(int(em["Message-ID"].split(".")[0].removeprefix("<outbox-")) for em in m.smtp.recorder.messages)
    return out


def test_a_stalled_worker_does_not_send_rows_whose_lease_was_taken_over(sms, messaging):
    sms.book("other", mode="in_person", start=VISIT)
    senders, settings = _tools(messaging)
    stalled = dispatch.claim(db.session, now=NOW, worker="A", limit=10)
    assert len(stalled) == 2  # the confirmation email and SMS

    assert reconcile.reconcile(db.session, senders, now=LATER) == {"found_sent": 0, "requeued": 2}
    taken = dispatch.claim(db.session, now=LATER, worker="B", limit=10)
    assert sorted(taken) == sorted(stalled)

    for msg_id in stalled:  # A wakes up: the rows are 'sending' again, but no longer A's
        assert dispatch.send_one(db.session, msg_id, senders, settings, now=LATER, lease=("A", NOW)) == "gone"
    for msg_id in taken:
        assert dispatch.send_one(db.session, msg_id, senders, settings, now=LATER, lease=("B", LATER)) == "sent"
    assert _at_the_fakes(messaging) == Counter({msg_id: 1 for msg_id in taken})
    assert {r.status for r in sms.rows(rule="confirmation")} == {"sent"}


def test_a_late_worker_renews_its_lease_and_reconcile_leaves_the_row_alone(sms, messaging):
    sms.book("other", mode="in_person", start=VISIT)
    senders, settings = _tools(messaging)
    ids = dispatch.claim(db.session, now=NOW, worker="A", limit=10)
    first, second = sorted(ids)
    # A reaches its second row only after the batch's lease would have run out; nobody took it over.
    assert dispatch.send_one(db.session, first, senders, settings, now=NOW, lease=("A", NOW)) == "sent"
    assert dispatch.send_one(db.session, second, senders, settings, now=LATER, lease=("A", NOW)) == "sent"
    assert reconcile.reconcile(db.session, senders, now=LATER + dispatch.LEASE / 2) == {"found_sent": 0, "requeued": 0}
    assert _at_the_fakes(messaging) == Counter({first: 1, second: 1})
    assert len(messaging.twilio.bodies_to(US_PHONE)) == 1


def test_a_send_still_in_flight_keeps_a_fresh_lease(sms, messaging):
    """The lease runs from when each message starts sending, not from when the batch was claimed."""
    sms.book("other", mode="in_person", start=VISIT)
    senders, settings = _tools(messaging)
    ids = dispatch.claim(db.session, now=NOW, worker="A", limit=10)
    renewed_at = []

    class Watching:
        """Looks at the row while Twilio has the request, as a concurrent reconcile would."""

        def __getattr__(self, name):
            return getattr(senders.sms, name)

        def send_sms(self, out):
            db.session.commit()
            row = sms.row(rule="confirmation", channel="sms")
            renewed_at.append(row.claimed_at)
            stale = reconcile.reconcile(db.session, senders, now=LATER + dispatch.LEASE / 2)
            assert stale == {"found_sent": 0, "requeued": 0}
            return senders.sms.send_sms(out)

    watched = dispatch.Senders(Watching(), senders.email)
    for msg_id in ids:
        dispatch.send_one(db.session, msg_id, watched, settings, now=LATER, lease=("A", NOW))
    assert renewed_at == [LATER]
    assert sorted(_at_the_fakes(messaging).values()) == [1, 1]
