"""APScheduler wiring: one BlockingScheduler(timezone="UTC") for the jobs process."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from datetime import datetime, timezone

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from jobs import standby
from jobs.definitions import JOBS, stop_event
from televisit import logs, metrics

log = logging.getLogger(__name__)


def _wrap(app: Flask, job):
    def run():
        # Every line of this run carries its own id (request_id `job-…`) and the job's name.
        with app.app_context(), logs.bound(logs.new_id("job-"), job=job.name):
            try:
                result = job.run(app)
            except Exception:  # one failing run must not stop the scheduler
                log.exception("job %s failed", job.name)
                return None
            metrics.job_succeeded(job.name)
            if result:
                log.info("%s: %s", job.name, result)
            return result

    return run


def _add_jobs(app: Flask, scheduler) -> None:
    # First run at start, not one interval later: a restarted process settles what a crash left behind
    # and sends what is due at once. (The scheduler's own wall clock, not the app's business clock.)
    first = datetime.now(timezone.utc)
    for job in JOBS:
        scheduler.add_job(
            _wrap(app, job),
            "interval",
            seconds=job.interval(app.config),
            id=job.name,
            max_instances=1,
            coalesce=True,
            next_run_time=first,
        )


def run_once(app: Flask):
    """Run each job once, in order; yields (name, result)."""
    for job in JOBS:
        yield job.name, _wrap(app, job)()


def run_forever(app: Flask) -> int:
    """Run the jobs until SIGTERM or Ctrl+C, first waiting as a standby while another process holds the jobs lock.

    Returns the exit status: 0, or `standby.LOST` when the lock was lost (the jobs are stopped at once then)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop, lost = stop_event(app), threading.Event()
    executor = ThreadPoolExecutor()  # our own, to wait for the jobs in hand before the lock goes
    scheduler = BlockingScheduler(timezone="UTC", executors={"default": executor})

    def halt(*_):
        stop.set()  # a running dispatch hands back the rest of its batch instead of sending it all first
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, halt)
    lock = standby.jobs_lock(app)
    try:
        if standby.wait_for_lock(app, lock, stop):
            standby.watch(app, lock, stop, on_lost=lambda: (lost.set(), halt()))
            _run(app, scheduler, stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()  # Ctrl+C too: the job threads finish their current message, then the process exits
        executor.shutdown(wait=not lost.is_set())  # lost: another process may run them already; do not wait
        lock.release()
    return standby.LOST if lost.is_set() else 0


def _run(app: Flask, scheduler: BlockingScheduler, stop: threading.Event) -> None:
    _add_jobs(app, scheduler)
    # A SIGTERM between taking the lock and the scheduler's start finds it not running: stop it as it starts.
    scheduler.add_listener(lambda _e: stop.is_set() and scheduler.shutdown(wait=False), EVENT_SCHEDULER_STARTED)
    log.info("jobs process started with %d jobs", len(JOBS))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def run_once_locked(app: Flask, wait: float, say) -> list | None:
    """`jobs run-once`: run each job once while holding the jobs lock (waiting up to `wait` seconds for it).

    None, without running anything, when another process kept the lock."""
    lock = standby.jobs_lock(app)
    if not standby.acquire_within(app, lock, wait, say):
        say(f"the jobs lock is held by {lock.holder() or 'another process'}: its jobs run there")
        return None
    try:
        return list(run_once(app))
    finally:
        lock.release()


def start_background(app: Flask) -> BackgroundScheduler:
    """The embedded default: the same jobs on a background thread of the web process, once it holds the jobs lock."""
    scheduler = BackgroundScheduler(timezone="UTC")
    stop = stop_event(app)

    def lead() -> None:
        lock = standby.jobs_lock(app)
        if standby.wait_for_lock(app, lock, stop):
            _add_jobs(app, scheduler)  # first runs now, not when the process started
            scheduler.start()
            standby.watch(app, lock, stop, on_lost=lambda: scheduler.shutdown(wait=False))

    threading.Thread(target=lead, name="jobs-standby", daemon=True).start()
    return scheduler
