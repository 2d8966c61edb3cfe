"""Security headers on every response, sign-in throttling, and a request id for the audit trail (docs/security.md)."""

from __future__ import annotations

import logging
import re
import uuid
from functools import lru_cache

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded

from televisit.extensions import limiter
from televisit.services.auth import Lockout

REQUEST_ID_KEY = "televisit.request_id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
THROTTLED = "Too many sign-in attempts from your network. Please wait a minute and try again."


@lru_cache(maxsize=64)
def _csp(host: str) -> str:
    """No inline script or style; video needs blob:/mediastream: media; Socket.IO needs this host's ws(s)."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self' blob: mediastream:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "font-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        )
    )


def request_id() -> str:
    """This request's id: the proxy's X-Request-ID when well-formed, else a new one (echoed in the response)."""
    if REQUEST_ID_KEY not in request.environ:
        given = request.headers.get("X-Request-ID", "")
        request.environ[REQUEST_ID_KEY] = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    return request.environ[REQUEST_ID_KEY]


def add_headers(resp):
    """Every response: CSP, frame denial, no-sniff, referrer policy (a stricter per-page one is kept), HSTS in prod."""
    headers = resp.headers
    headers.setdefault("Content-Security-Policy", _csp(request.host))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers["X-Request-ID"] = request_id()
    hsts = current_app.config.get("HSTS")
    if hsts and current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", hsts)
    return resp


def lockout_policy() -> Lockout:
    """The per-account lockout from config."""
    cfg = current_app.config
    return Lockout(cfg.get("SIGNIN_LOCKOUT_FAILURES", 5), cfg.get("SIGNIN_LOCKOUT_MINUTES", 15))


def _signin_rate() -> str:
    return current_app.config.get("SIGNIN_RATE_LIMIT", "10 per minute")


# One budget for the page and the API (scope "signin"). Only refused attempts count (a hospital's many users
# may share one address): wrong credentials count; a success or a malformed request costs nothing.
signin_limit = limiter.shared_limit(
    _signin_rate, scope="signin", methods=["POST"], deduct_when=lambda resp: resp.status_code == 401
)
_LIMITED_VIEWS: set = set()


def signin_limited(view):
    """`view` under the shared sign-in budget. Flask-Limiter then evaluates only views limited this way:
    its per-request work on every other request was 5% of a booking's CPU."""
    limited = signin_limit(view)
    _LIMITED_VIEWS.add(limited)
    return limited


def limited(limit):
    """A view decorator for another Flask-Limiter `limit`, evaluated like the sign-in budget (see above)."""

    def decorate(view):
        wrapped = limit(view)
        _LIMITED_VIEWS.add(wrapped)
        return wrapped

    return decorate


@limiter.request_filter
def _not_limited() -> bool:
    return current_app.view_functions.get(request.endpoint) not in _LIMITED_VIEWS


def throttled(exc: RateLimitExceeded):
    """429 with Retry-After: JSON on the API, the sign-in page with a friendly message elsewhere."""
    retry = str(max(1, int(exc.limit.limit.get_expiry())))  # at most one window: the whole limit has reset by then
    if request.path.startswith("/api/"):
        message = exc.description if exc.limit.error_message else THROTTLED  # a limit may say what it limits
        body = {"error": {"code": "rate_limited", "message": message, "fields": {}}}
        resp = make_response(jsonify(body), 429)
    else:
        resp = make_response(render_template("login.html", error=THROTTLED, email=""), 429)
    resp.headers["Retry-After"] = retry
    return resp


_QUERY = re.compile(r"^(\S+ [^?\s]*)\?\S*( HTTP/\S+)$")


class DropQueryStrings(logging.Filter):
    """Access-log lines without query strings: a search for a patient's name must not reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the request line argument ("GET /path?query HTTP/1.1") in place; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub(r"\1\2", a) if isinstance(a, str) else a for a in record.args)
        return True


def _quiet_access_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
        logger.addFilter(DropQueryStrings())


def register(app: Flask) -> None:
    """Install the header hook and the 429 handler (register the audit hook after this: it must run first)."""
    app.after_request(add_headers)
    app.register_error_handler(RateLimitExceeded, throttled)
    _quiet_access_log()
