"""Every HTTP request: its id, its latency in the metrics, and one log line (docs/operations.md).

The id is the proxy's `X-Request-ID` when it sent a plain token, else a new one; it is sent back in the
answer's `X-Request-ID` and carried by every line logged while the request runs (televisit/logs.py). The
request's line (`televisit.request`, INFO) names the route as its rule (`/l/<purpose>/<token>`) and the Flask
endpoint, never the path or the query string, which may hold a link's token or a patient's name.
These hooks are registered before any other, so the first runs first and the last runs last.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, request

from televisit import logs, metrics

log = logging.getLogger("televisit.request")
_STARTED = "televisit.started"
_ID = "televisit.request_id"
UNMATCHED = "(unmatched)"  # a path no rule serves (404, 405): the endpoint and route say only that


def _start() -> None:
    request.environ[_STARTED] = time.perf_counter()
    request.environ[_ID] = rid = logs.accepted_id(request.headers.get("X-Request-ID"))
    logs.REQUEST_ID.set(rid)


def _finish(resp):
    started = request.environ.get(_STARTED)
    seconds = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or UNMATCHED
    metrics.observe_request(endpoint, request.method, resp.status_code, seconds)
    rid = request.environ.get(_ID)
    if rid:
        resp.headers["X-Request-ID"] = rid
    if log.isEnabledFor(logging.INFO):
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        extra = {"request_id": rid, "method": request.method, "route": route, "endpoint": endpoint}
        extra |= {"status": resp.status_code, "duration_ms": round(seconds * 1000, 2)}
        log.info("%s %s %s", request.method, route, resp.status_code, extra=extra)
    return resp


def _forget(_exc=None) -> None:
    logs.REQUEST_ID.set(None)  # the worker thread's next request (or socket event) starts without one


def register(app: Flask) -> None:
    """Install the hooks (call before any other hook is registered)."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)
