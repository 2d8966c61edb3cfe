"""APScheduler wiring: one BlockingScheduler(timezone="UTC") for the jobs process."""

from __future__ import annotations

import contextlib
import logging
import signal

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from jobs.definitions import JOBS

log = logging.getLogger(__name__)


def _wrap(app: Flask, job):
    def run():
        with app.app_context():
            try:
                return job.run(app)
            except Exception:  # one failing run must not stop the scheduler
                log.exception("job %s failed", job.name)
                return None

    return run


def _add_jobs(app: Flask, scheduler) -> None:
    for job in JOBS:
        scheduler.add_job(
            _wrap(app, job), "interval", seconds=job.every_seconds, id=job.name, max_instances=1, coalesce=True
        )


def run_once(app: Flask):
    """Run each job once, in order; yields (name, result)."""
    for job in JOBS:
        yield job.name, _wrap(app, job)()


def run_forever(app: Flask) -> None:
    """Block running the jobs until SIGTERM or Ctrl+C."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(app, scheduler)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("jobs process started with %d jobs", len(JOBS))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def start_background(app: Flask) -> BackgroundScheduler:
    """The embedded default: the same jobs on a background thread of the web process."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(app, scheduler)
    scheduler.start()
    return scheduler
