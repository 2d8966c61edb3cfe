"""GET /readyz and GET /metrics (API.md "Operations"; docs/operations.md). GET /healthz is in web/pages.py.

/readyz answers 503 only when this process cannot serve (database unreachable, schema behind the code); Redis
and the jobs process are reported either way. /metrics answers a request straight from this machine, or one
carrying `Authorization: Bearer $TELEVISIT_METRICS_TOKEN`; anyone else gets 401 (no credentials) or 403.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from televisit import clock, metrics
from televisit.extensions import db
from televisit.services.operations import readiness, scrape
from televisit.services.operations.probe import engine_for
from televisit.services.waiting_room.processes import stale_after
from televisit.web.local import from_this_machine

bp = Blueprint("ops", __name__)


def _probe_engine():
    cfg = current_app.config
    return engine_for(cfg["SQLALCHEMY_DATABASE_URI"], cfg["READY_TIMEOUT_SECONDS"], shared=db.engine)


@bp.get("/readyz")
def readyz():
    cfg = current_app.config
    probe = readiness.Probe(
        engine=_probe_engine(),
        migrations_dir=current_app.extensions["migrate"].directory,
        timeout=cfg["READY_TIMEOUT_SECONDS"],
        redis_url=cfg.get("REDIS_URL"),
        jobs_stale=stale_after(cfg.get("WAITING_HEARTBEAT_SECONDS", 15)),
    )
    state = readiness.check(probe, wall_now=clock.wall_now())
    return state.as_dict(), 200 if state.serving else 503


def _refused(status: int, code: str, message: str) -> Response:
    resp = jsonify({"error": {"code": code, "message": message, "fields": {}}})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return resp


def _metrics_refusal() -> Response | None:
    """None when the caller may read the metrics."""
    if from_this_machine():
        return None
    sent = request.headers.get("Authorization", "")
    if not sent:
        return _refused(401, "unauthorized", "Metrics answer this machine, or a bearer token for them.")
    token = current_app.config.get("METRICS_TOKEN")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return None
    return _refused(403, "forbidden", "That is not the metrics token.")


@bp.get("/metrics", endpoint="metrics")
def metrics_text():
    refusal = _metrics_refusal()
    if refusal is not None:
        return refusal
    cfg = current_app.config
    stale = stale_after(cfg.get("WAITING_HEARTBEAT_SECONDS", 15))
    body = metrics.exposition(
        lambda: scrape.gauges(
            _probe_engine(),
            timeout=cfg["READY_TIMEOUT_SECONDS"],
            now=clock.now(),
            wall_now=clock.wall_now(),
            stale=stale,
        )
    )
    return Response(body, mimetype=None, content_type=metrics.CONTENT_TYPE)
