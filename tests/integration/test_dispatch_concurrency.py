"""Exactly once with two jobs processes at the same time: real `flask --app wsgi jobs run-once`
subprocesses on one database, sending through the real Twilio SDK to the fake Twilio and through
smtplib to a local aiosmtpd server.

PostgreSQL: the processes claim with SELECT ... FOR UPDATE SKIP LOCKED, so they share the work.
SQLite: every transaction is BEGIN IMMEDIATE, so the claims serialize; still nothing may go twice.
Since the jobs lock (docs/operations.md, "A standby jobs process") the two `run-once` take turns: the second
finds what the first left; the claims still compete between each PostgreSQL process's dispatch threads.
"""

from __future__ import annotations

import pytest

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
)

APPOINTMENTS = 150  # a confirmation SMS and email each: 300 due messages


def _run_two_at_once(url: str, twilio, smtp) -> list[Jobs]:
    env = jobs_env(url, NOW, twilio, smtp)
    procs = [Jobs("run-once", env), Jobs("run-once", env)]
    try:
        codes = [p.wait(timeout=240) for p in procs]
    finally:
        for p in procs:
            p.stop()
    assert codes == [0, 0], [p.output()[-3000:] for p in procs]
    return procs


def _assert_each_sent_once(procs: list[Jobs], twilio, smtp) -> None:
    rows = due_rows(NOW)
    sms_rows = [r for r in rows if r.channel == "sms"]
    email_rows = [r for r in rows if r.channel == "email"]
    assert len(sms_rows) == len(email_rows) == APPOINTMENTS
    assert {r.status for r in rows} == {"sent"}, [(r.key, r.status, r.last_error) for r in rows if r.status != "sent"]

    arrived = sms_arrivals(twilio)
    assert set(arrived) == {r.id for r in sms_rows}
    assert set(arrived.values()) == {1}, {k: v for k, v in arrived.items() if v > 1}
    assert len(twilio.messages) == APPOINTMENTS == len({m["to"] for m in twilio.messages})
    assert {r.provider_id for r in sms_rows} == {m["sid"] for m in twilio.messages}

    emails = email_arrivals(smtp)
    assert set(emails.values()) == {1}, {k: v for k, v in emails.items() if v > 1}
    assert len(emails) == APPOINTMENTS and {r.to_address for r in email_rows} == {
        m["To"] for m in smtp.recorder.messages
    }

    sent = [p.results()["dispatch_outbox"].get("sent", 0) for p in procs]
    assert sum(sent) == len(rows), sent  # each row counted as sent by exactly one process


def test_two_jobs_processes_on_postgresql_send_each_message_once(pg_url, fake_twilio, smtp):
    fake_twilio.send_callbacks = False
    slow_down(fake_twilio, 0.02, APPOINTMENTS)  # ~3 s of SMS each: the two processes surely overlap
    with app_on(pg_url):
        make_due(APPOINTMENTS, NOW)
        procs = _run_two_at_once(pg_url, fake_twilio, smtp)
        _assert_each_sent_once(procs, fake_twilio, smtp)
        # Several claimers really competed: each process dispatches with several threads, each on its own
        # connection and transaction (claimed_by is host:pid:thread). Which process wins how many rows
        # depends on which starts first, so only the total is asserted about the processes.
        workers = {r.claimed_by for r in due_rows(NOW)}
        assert len(workers) >= 2, workers


def test_two_jobs_processes_on_sqlite_send_each_message_once(tmp_path, fake_twilio, smtp):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    _migrate(url)
    fake_twilio.send_callbacks = False
    with app_on(url):
        make_due(APPOINTMENTS, NOW)
        procs = _run_two_at_once(url, fake_twilio, smtp)
        _assert_each_sent_once(procs, fake_twilio, smtp)


@pytest.mark.parametrize("rounds", [3])
def test_repeated_runs_after_everything_went_send_nothing_more(pg_url, fake_twilio, smtp, rounds):
    fake_twilio.send_callbacks = False
    with app_on(pg_url):
        make_due(20, NOW)
        env = jobs_env(pg_url, NOW, fake_twilio, smtp)
        for _ in range(rounds):
            proc = Jobs("run-once", env)
            assert proc.wait() == 0, proc.output()[-3000:]
        assert len(fake_twilio.messages) == 20 and len(smtp.recorder.messages) == 20
        assert set(sms_arrivals(fake_twilio).values()) == {1}
        assert proc.results()["dispatch_outbox"] == {}  # the last round found nothing due
