"""Log lines: the request id that ties one piece of work's lines together, and JSON lines on request.

`TELEVISIT_LOG_FORMAT=json` writes one JSON object per line (python-json-logger) on stderr, for the web
processes (each request's line: televisit/web/observability.py), the socket handlers and the jobs process; gunicorn's
own lines follow config/gunicorn.py. Every line written while a piece of work runs carries its `request_id`: an
HTTP request's (its `X-Request-ID` when the proxy sent a sane one, else a new one), the socket's (taken when it
connected), or a job run's (`job-…`, with the job's name in `job`). Secrets and patient data are kept out by the
masking filter (televisit/web/log_masking.py), which the app puts on every handler of the root logger, this one
included; the formatter writes the traceback that filter masked, never a fresh one.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

REQUEST_ID: ContextVar[str | None] = ContextVar("televisit_request_id", default=None)
JOB: ContextVar[str | None] = ContextVar("televisit_job", default=None)
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # what we accept from a client or proxy: nothing that reads as text
FORMATS = ("text", "json")


def new_id(prefix: str = "") -> str:
    """A fresh request (or run) id."""
    return prefix + uuid.uuid4().hex


def accepted_id(offered: str | None) -> str:
    """The id a client or proxy offered (`X-Request-ID`) when it is a plain token, else a fresh one."""
    return offered if offered and _SANE_ID.fullmatch(offered) else new_id()


@contextlib.contextmanager
def bound(request_id: str | None, *, job: str | None = None) -> Iterator[None]:
    """Lines logged inside carry `request_id` (and `job`)."""
    tokens = (REQUEST_ID.set(request_id), JOB.set(job))
    try:
        yield
    finally:
        REQUEST_ID.reset(tokens[0])
        JOB.reset(tokens[1])


class WorkContext(logging.Filter):
    """Adds the current `request_id` (and `job`) to each record that has none of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never drops a record."""
        if getattr(record, "request_id", None) is None and (rid := REQUEST_ID.get()) is not None:
            record.request_id = rid
        if getattr(record, "job", None) is None and (job := JOB.get()) is not None:
            record.job = job
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """`{"time","level","logger","message", ...extras}`; a traceback is the masked `exc_text`, never re-rendered."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__(["levelname", "name", "message"], *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        """The library's format, with the exception taken from `exc_text` when a filter already rendered it."""
        if not (record.exc_info and record.exc_text):
            return super().format(record)
        exc_info, record.exc_info = record.exc_info, None
        try:
            return super().format(record)
        finally:
            record.exc_info = exc_info


def _is_json(handler: logging.Handler) -> bool:
    return isinstance(handler.formatter, _LibraryJsonFormatter)


def configure(log_format: str) -> None:
    """Text (the default) leaves logging as it is; JSON puts one JSON handler on the root logger (stderr, INFO),
    reusing one a server configured already (gunicorn's logconfig_dict)."""
    if log_format != "json":
        return
    root = logging.getLogger()
    handler = next((h for h in root.handlers if _is_json(h)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if not any(isinstance(f, WorkContext) for f in handler.filters):
        handler.addFilter(WorkContext())
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # seven lines per start, saying nothing
    logging.captureWarnings(True)  # a library's warning is a line like any other, not raw text on stderr
