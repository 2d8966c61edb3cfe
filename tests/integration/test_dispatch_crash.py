"""`kill -9` in the middle of a batch, and a clean stop on SIGTERM, with real jobs processes.

The crash: the fake Twilio holds each answer 0.2 s (it has already accepted the message when it starts
waiting, as a real provider can), so killing the process right after a message reached it leaves that
row 'sending' although Twilio has it. A restart after the 2-minute lease must find it through the
Twilio list API (reconcile) instead of sending it again, and must send every row the crash left behind.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

from televisit.services.messaging.dispatch import LEASE
from tests.conftest import NOW, _migrate
from tests.integration.test_dispatch_support import (
    Jobs,
    app_on,
    due_rows,
    email_arrivals,
    jobs_env,
    make_due,
    slow_down,
    sms_arrivals,
    wait_until,
)

APPOINTMENTS = 40  # a confirmation SMS and email each


def test_kill_9_mid_batch_loses_and_duplicates_no_sms(pg_url, fake_twilio, smtp):
    fake_twilio.send_callbacks = False  # only reconcile may settle what the crash left unknown
    slow_down(fake_twilio, 0.2, APPOINTMENTS)
    with app_on(pg_url):
        make_due(APPOINTMENTS, NOW)
        jobs = Jobs("run", jobs_env(pg_url, NOW, fake_twilio, smtp))
        try:
            assert wait_until(lambda: len(fake_twilio.messages) >= 10, seconds=90), jobs.output()[-3000:]
            os.kill(jobs.proc.pid, signal.SIGKILL)  # while message #10 waits for its answer
            assert jobs.wait(timeout=10) == -signal.SIGKILL
        finally:
            jobs.stop()

        before = sms_arrivals(fake_twilio)
        rows = {r.id: r for r in due_rows(NOW)}
        stuck = {i for i, r in rows.items() if r.status == "sending"}
        in_flight = stuck & set(before)  # Twilio has them, our database does not know
        assert 10 <= len(before) < APPOINTMENTS
        assert stuck and in_flight, "the kill did not land mid-send"

        fake_twilio.scripts.clear()
        restart = Jobs("run-once", jobs_env(pg_url, NOW + LEASE + timedelta(minutes=1), fake_twilio, smtp))
        assert restart.wait() == 0, restart.output()[-3000:]
        settled = restart.results()["reconcile_outbox"]
        assert settled == {"found_sent": len(in_flight), "requeued": len(stuck) - len(in_flight)}

        rows = due_rows(NOW)
        assert {r.status for r in rows} == {"sent"}, [(r.key, r.status) for r in rows if r.status != "sent"]
        sms_rows = [r for r in rows if r.channel == "sms"]
        arrived = sms_arrivals(fake_twilio)
        assert set(arrived) == {r.id for r in sms_rows}  # none lost
        assert set(arrived.values()) == {1}, {k: v for k, v in arrived.items() if v > 1}  # none twice
        sids = {m["sid"]: int(m["status_callback"].rsplit("o=", 1)[1]) for m in fake_twilio.messages}
        assert all(sids[r.provider_id] == r.id for r in sms_rows)  # each row points at its own message

        # Email: SMTP cannot be asked what it received, so a crash between the server's "250" and our
        # commit resends that one email on restart. Its Message-ID is stable per outbox row, so a mail
        # client shows it once; what we can promise is every row delivered, each under its own id, and
        # at most the one email that was in flight at the kill delivered twice.
        emails = email_arrivals(smtp)
        email_rows = [r for r in rows if r.channel == "email"]
        assert len(email_rows) == APPOINTMENTS == len(emails)
        assert sum(emails.values()) <= len(emails) + 1, emails


def test_sigterm_stops_an_idle_jobs_process_cleanly(tmp_path, fake_twilio, smtp):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    _migrate(url)
    jobs = Jobs("run", jobs_env(url, NOW, fake_twilio, smtp))
    try:
        # started (its SIGTERM handler installed) however slow the machine is, then idle a moment
        assert wait_until(lambda: "jobs process started" in jobs.output(), 60), jobs.output()[-3000:]
        time.sleep(1)
        assert jobs.proc.poll() is None, jobs.output()[-3000:]  # still running: it does not just exit
        started = time.monotonic()
        jobs.proc.send_signal(signal.SIGTERM)
        assert jobs.wait(timeout=10) == 0, jobs.output()[-3000:]
        assert time.monotonic() - started < 5
    finally:
        jobs.stop()


def test_sigterm_mid_batch_stops_soon_and_leaves_nothing_to_lose(pg_url, fake_twilio, smtp):
    fake_twilio.send_callbacks = False
    slow_down(fake_twilio, 0.2, APPOINTMENTS)  # a backlog of ~10 s of SMS
    with app_on(pg_url):
        make_due(APPOINTMENTS, NOW)
        jobs = Jobs("run", jobs_env(pg_url, NOW, fake_twilio, smtp))
        try:
            assert wait_until(lambda: len(fake_twilio.messages) >= 5, seconds=90), jobs.output()[-3000:]
            started = time.monotonic()
            jobs.proc.send_signal(signal.SIGTERM)
            assert jobs.wait(timeout=15) == 0, jobs.output()[-3000:]
            assert time.monotonic() - started < 5  # it does not work through the whole backlog first
        finally:
            jobs.stop()
        rows = due_rows(NOW)
        assert len(fake_twilio.messages) < APPOINTMENTS
        assert not [r.key for r in rows if r.status == "sending"]  # handed back, not left to the lease
        fake_twilio.scripts.clear()
        again = Jobs("run-once", jobs_env(pg_url, NOW, fake_twilio, smtp))
        assert again.wait() == 0, again.output()[-3000:]
        assert {r.status for r in due_rows(NOW)} == {"sent"}
        assert set(sms_arrivals(fake_twilio).values()) == {1} and len(fake_twilio.messages) == APPOINTMENTS
