"""/metrics under the production layout: several gunicorn workers and the jobs process, one PROMETHEUS_MULTIPROC_DIR.

Each worker counts its own requests; any worker's /metrics adds every process's up (prometheus-client's
multiprocess mode), so a scrape that lands on one worker still sees them all. The jobs process, started apart,
shows its jobs' last success through the same directory. A worker killed with -9 loses none of the counts, and
its live gauges (sockets connected) go with it (config/gunicorn.py `child_exit`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from televisit import clock
from televisit.extensions import db
from tests import factories as f
from tests.conftest import NOW, _make_app, _migrate
from tests.support.gunicorn_server import Gunicorn
from tests.support.live_server import ROOT, fresh_database

REQUESTS = 40
HEALTHZ = {"endpoint": "pages.healthz", "method": "GET", "status": "200"}


def _samples(url: str) -> list:
    r = requests.get(f"{url}/metrics", timeout=10)
    assert r.status_code == 200, r.text[:300]
    return [s for fam in text_string_to_metric_families(r.text) for s in fam.samples]


def _healthz_count(url: str) -> float:
    name = "televisit_http_request_duration_seconds_count"
    return sum(s.value for s in _samples(url) if s.name == name and s.labels == HEALTHZ)


def _get(url: str) -> int:
    return requests.get(url, timeout=10, headers={"Connection": "close"}).status_code


def _pids_with(directory: Path, prefix: str) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob(f"{prefix}_*.db")}


def test_counts_add_up_across_workers_and_the_jobs_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    _migrate(url)
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with Gunicorn(url, workers=2, worker_class="sync", extra_env=env) as server:
        before = _healthz_count(server.url)  # the start-up polls
        # Eight clients at once, a new connection per request: while one worker answers, the other accepts.
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: _get(f"{server.url}/healthz"), range(REQUESTS)))
        assert answers == [200] * REQUESTS
        workers = set(server.worker_pids())
        assert len(workers) == 2
        served = _pids_with(metrics_dir, "histogram")
        assert served == workers, (served, workers)  # both workers answered some of them...
        assert _healthz_count(server.url) - before == REQUESTS  # ...and every scrape adds both up

        jobs = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run-once"],
            cwd=ROOT,
            env=server.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert jobs.returncode == 0, jobs.stderr
        last = {
            s.labels["name"]: s.value
            for s in _samples(server.url)
            if s.name == "televisit_job_last_success_timestamp_seconds"
        }
        assert {"heartbeat", "dispatch_outbox", "waiting_room_sweep"} <= set(last)
        assert all(time.time() - 120 < v <= time.time() for v in last.values()), last

        victim = sorted(workers)[0]
        assert victim in _pids_with(metrics_dir, "gauge_liveall")
        total = _healthz_count(server.url)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while victim in _pids_with(metrics_dir, "gauge_liveall") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert victim not in _pids_with(metrics_dir, "gauge_liveall"), "its live gauges outlived it"
        sockets = [s for s in _samples(server.url) if s.name == "televisit_waiting_sockets_connected"]
        assert str(victim) not in {s.labels.get("pid") for s in sockets}
        assert _healthz_count(server.url) == total  # a dead worker's requests still count


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_fresh_worker_whose_first_request_books_books(kind):
    """Found while watching the logs: a worker whose first ORM work was the booking's hand-built row answered 500
    (its mappers were not configured yet). create_app configures them now."""
    with fresh_database(kind) as url:
        app = _make_app(url)
        with app.app_context():
            clock.freeze(NOW)
            try:
                p = f.program()
                headers = f.token(app.test_client(), "pat@example.org")  # minted here: the server reads no user first
                body = {"visit_type_id": p.consult.id, "clinician_id": p.uk_doc.id, "location_id": p.london.id}
                body |= {"mode": "virtual", "start": "2027-03-08T09:00:00+00:00", "patient_region": "GB"}
                db.session.remove()
            finally:
                clock.reset()
            db.engine.dispose()
        with Gunicorn(url, workers=1, now=NOW.isoformat()) as server:
            r = requests.post(f"{server.url}/api/v1/appointments", json=body, headers=headers, timeout=10)
        assert r.status_code == 201, (r.text, server.output()[-2000:])
