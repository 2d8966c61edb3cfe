"""Televisit's Prometheus metrics (prometheus-client), defined here and only here (an import-linter contract).

Code that counts something calls one of the small functions below; it never touches prometheus-client itself.
`GET /metrics` (televisit/web/operations.py) renders them with `exposition`. Under gunicorn, and with the jobs
process on the same host, set `PROMETHEUS_MULTIPROC_DIR` to one empty directory for all of them: each process
writes its values there and any web process's `/metrics` adds them up (prometheus-client's multiprocess mode;
config/gunicorn.py forgets a worker's live gauges when it exits). The full list is in docs/operations.md.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from televisit.domain.errors import DomainError

disable_created_metrics()  # no `_created` series: nothing here needs them, and they double the output
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the classic text format every Prometheus reads

HTTP = Histogram(
    "televisit_http_request_duration_seconds",
    "Time to answer an HTTP request, by Flask endpoint (never the path), method and status.",
    ["endpoint", "method", "status"],
)
BOOKINGS = Counter("televisit_bookings_total", "Bookings made, by kind (appointment, clinic_day, course).", ["kind"])
REFUSALS = Counter(
    "televisit_booking_refusals_total",
    "Bookings refused, by kind and reason (taken, too_soon, outside_hours, booking_limit, invalid, ...).",
    ["kind", "reason"],
)
SLOT_SEARCH = Histogram(
    "televisit_slot_search_duration_seconds",
    "Time of one slot search (the API's, the pages', clinic-day and course options: every caller of the engine).",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
)
MESSAGES_SENT = Counter("televisit_messages_sent_total", "Messages the provider accepted, by channel.", ["channel"])
MESSAGES_FAILED = Counter(
    "televisit_messages_failed_total",
    "Send attempts that failed, by channel and error (transient: retried; permanent; unknown: being reconciled).",
    ["channel", "error"],
)
SOCKETS = Gauge(
    "televisit_waiting_sockets_connected",
    "Waiting-room sockets this process holds.",
    multiprocess_mode="liveall",  # one series per live process (label pid)
)
WAITING = Gauge(
    "televisit_waiting_patients",
    "Checked-in patients whose socket this process holds (refreshed with its heartbeat).",
    multiprocess_mode="liveall",
)
SOCKETIO_MODE = Gauge(
    "televisit_socketio_async_mode",
    "1 for Flask-SocketIO's async mode of this process (threading; gevent in the socket processes).",
    ["mode"],
    multiprocess_mode="liveall",
)
JOB_SUCCESS = Gauge(
    "televisit_job_last_success_timestamp_seconds",
    "When each job last ran to the end without an error (Unix time), by the job's name.",
    ["name"],  # not `job`: Prometheus gives every series a `job` label of its own (the scrape job)
    multiprocess_mode="max",  # a restarted jobs process does not forget the last success of the one before
)
RETENTION_PURGED = Counter(
    "televisit_retention_purged_rows_total",
    "Rows the daily retention purge blanked (message bodies) or deleted, by data (api_tokens, user_sessions, ...).",
    ["data"],
)
_FAILURES = {"unconfirmed": "unknown", "retry": "transient", "permanent": "permanent"}
# Read from the database when /metrics is scraped (televisit/services/operations/scrape.py).
OUTBOX_DUE = ("televisit_outbox_due_messages", "Outbox messages due now and not yet sent, by channel.")
OUTBOX_AGE = (
    "televisit_outbox_oldest_due_age_seconds",
    "How long the oldest due message has been waiting to be sent, by channel (0: none waiting).",
)

JOBS_STANDBY = (
    "televisit_jobs_standby_processes",
    "Standby jobs processes waiting for the jobs lock (each beat within the last four heartbeats).",
)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """One HTTP request answered."""
    HTTP.labels(endpoint, method, str(status)).observe(seconds)


def counts_bookings(kind: str) -> Callable:
    """Decorate a booking use case: a return is a booking of `kind`, a refusal (DomainError) one refused by reason."""

    def decorate(book: Callable) -> Callable:
        @functools.wraps(book)
        def counted(*args, **kwargs):
            try:
                made = book(*args, **kwargs)
            except DomainError as exc:
                REFUSALS.labels(kind, exc.reason or exc.code).inc()
                raise
            BOOKINGS.labels(kind).inc()
            return made

        return counted

    return decorate


def times_searches(search: Callable) -> Callable:
    """Decorate the slot search: each call's duration."""

    @functools.wraps(search)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return search(*args, **kwargs)
        finally:
            SLOT_SEARCH.observe(time.perf_counter() - started)

    return timed


def message_attempt(channel: str, outcome: str) -> None:
    """One send attempt on `channel` ended with `outcome` (sent, or a dispatch failure status)."""
    if outcome == "sent":
        MESSAGES_SENT.labels(channel).inc()
    elif outcome in _FAILURES:
        MESSAGES_FAILED.labels(channel, _FAILURES[outcome]).inc()


def socket_count(change: int) -> None:
    """A waiting-room socket was accepted (+1) or went (-1) in this process."""
    SOCKETS.inc(change)


def patients_waiting(count: int) -> None:
    """How many checked-in patients' sockets this process holds now."""
    WAITING.set(count)


def socketio_async_mode(mode: str) -> None:
    """This process serves Socket.IO in `mode` (threading or gevent)."""
    SOCKETIO_MODE.labels(mode).set(1)


def job_succeeded(name: str, at: float | None = None) -> None:
    """Job `name` just ran without an error."""
    JOB_SUCCESS.labels(name).set(time.time() if at is None else at)


def retention_purged(data: str, rows: int) -> None:
    """The retention purge blanked or deleted `rows` rows of `data`."""
    RETENTION_PURGED.labels(data).inc(rows)


def gauge_family(name_help: tuple[str, str], label: str, values: dict[str, float]) -> GaugeMetricFamily:
    """A gauge read at scrape time: one sample per label value."""
    family = GaugeMetricFamily(*name_help, labels=[label])
    for value_of, value in sorted(values.items()):
        family.add_metric([value_of], value)
    return family


def single_gauge(name_help: tuple[str, str], value: float) -> GaugeMetricFamily:
    """A gauge without labels read at scrape time."""
    return GaugeMetricFamily(*name_help, value=value)


class _Scrape:
    """What one scrape exports: this host's processes' metrics, plus gauges read at scrape time."""

    def __init__(self, read: Callable[[], Iterable[GaugeMetricFamily]]):
        self.read = read

    def collect(self):
        """The process metrics (all processes' in multiprocess mode), then the scrape-time gauges."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            yield from _multiprocess.MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        yield from self.read()


def exposition(read: Callable[[], Iterable[GaugeMetricFamily]] = tuple) -> bytes:
    """The text format of every metric, with `read()`'s scrape-time gauges."""
    return generate_latest(_Scrape(read))
