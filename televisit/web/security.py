"""Security headers on every response, sign-in and account-email throttling, and a request id for the audit trail
(docs/security.md)."""

from __future__ import annotations

import hashlib
import re
import uuid
from functools import lru_cache

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded

from televisit.domain.validation import normalize_email
from televisit.extensions import limiter
from televisit.services.auth import Lockout
from televisit.web.log_masking import MaskSecrets, install, register_rules

REQUEST_ID_KEY = "televisit.request_id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
THROTTLED = "Too many sign-in attempts from your network. Please wait a minute and try again."
ACCOUNT_THROTTLED = (
    "We have had too many requests for this email address, or from your network. "
    "Please check your inbox (and spam folder) for the email we sent, or wait a while and try again."
)
ACCOUNT_SCOPES = ("account-address", "account-client")


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


def _address_key() -> str:
    """The address a sign-up or reset asks about, hashed (no email address in the limiter's storage)."""
    address = normalize_email(request.form.get("email", ""))[:254]
    return "address:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def _sent(resp) -> bool:
    """The request went through (the "check your email" redirect): it counts. A form sent back with a
    mistake to correct costs nothing."""
    return resp.status_code in (302, 303)


# Sign-up and "forgot password" share two budgets: per address asked about (no inbox gets flooded) and per client.
address_limit = limiter.shared_limit(
    lambda: current_app.config.get("ACCOUNT_EMAIL_RATE_LIMIT", "5 per hour"),
    scope="account-address",
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_sent,
)
client_limit = limiter.shared_limit(
    lambda: current_app.config.get("ACCOUNT_CLIENT_RATE_LIMIT", "20 per hour"),
    scope="account-client",
    methods=["POST"],
    deduct_when=_sent,
)


def account_email_limited(view):
    """`view` (it emails an address someone typed) under the per-address and per-client budgets."""
    limited = client_limit(address_limit(view))
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
    """429 with Retry-After: JSON on the API, a friendly page elsewhere (the sign-in page for sign-in); a limit
    that built its own answer (`on_breach`, e.g. the FHIR token endpoint's OAuth JSON) keeps it."""
    retry = str(max(1, int(exc.limit.limit.get_expiry())))  # at most one window: the whole limit has reset by then
    account = exc.limit.scope in ACCOUNT_SCOPES
    if exc.response is not None:
        resp = exc.response
    elif request.path.startswith("/api/"):
        message = exc.description if exc.limit.error_message else THROTTLED  # a limit may say what it limits
        body = {"error": {"code": "rate_limited", "message": message, "fields": {}}}
        resp = make_response(jsonify(body), 429)
    elif account:
        resp = make_response(render_template("account/throttled.html", message=ACCOUNT_THROTTLED), 429)
    else:
        resp = make_response(render_template("login.html", error=THROTTLED, email=""), 429)
    resp.headers["Retry-After"] = retry
    return resp


# The access-log filter (kept under its first name): it drops query strings and masks URL tokens, in every
# logger that writes request paths (televisit/web/log_masking.py).
DropQueryStrings = MaskSecrets


def _quiet_logs(app: Flask) -> None:
    """Mask URL secrets and drop query strings in the access logs and the app's own logs."""
    from flask.logging import default_handler

    register_rules(rule.rule for rule in app.url_map.iter_rules())
    install(extra_handlers=(default_handler, *app.logger.handlers))


def register(app: Flask) -> None:
    """Install the header hook and the 429 handler (register the audit hook after this: it must run first)."""
    app.after_request(add_headers)
    app.register_error_handler(RateLimitExceeded, throttled)
    _quiet_logs(app)
