"""APScheduler wiring: one BlockingScheduler(timezone="UTC") for the jobs process."""

from __future__ import annotations

import contextlib
import logging
import signal
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

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


def run_forever(app: Flask) -> None:
    """Block running the jobs until SIGTERM or Ctrl+C."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(app, scheduler)
    stop = stop_event(app)

    def on_sigterm(*_):
        stop.set()  # a running dispatch hands back the rest of its batch instead of sending it all first
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_sigterm)
    log.info("jobs process started with %d jobs", len(JOBS))
    try:
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()
    finally:
        stop.set()  # Ctrl+C too: the job threads finish their current message, then the process exits


def start_background(app: Flask) -> BackgroundScheduler:
    """The embedded default: the same jobs on a background thread of the web process."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(app, scheduler)
    scheduler.start()
    return scheduler
