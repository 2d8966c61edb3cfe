"""Page sessions: sign-in starts one on the server, every request checks it (services/sessions.py).

After `TELEVISIT_SESSION_IDLE_MINUTES` without activity, or `TELEVISIT_SESSION_MAX_HOURS` after sign-in,
the next page request lands on the sign-in page with a plain message; an API call with the cookie is
answered as anonymous (401). The waiting-room socket checks the same session (televisit/web/realtime.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from televisit import clock
from televisit.extensions import db, socketio
from televisit.services import sessions
from televisit.web.auth import bearer_token

log = logging.getLogger(__name__)

KEY = "session_key"  # in the signed cookie: names this browser's `user_sessions` row
EXPIRED = "televisit.session_expired"  # request.environ: why the cookie's session ended, when it did
UNCHECKED = frozenset({"static", "vendor.asset", "pages.healthz", "ops.readyz", "ops.metrics"})
QUIET = frozenset({"pages.login", "pages.logout"})  # these pages carry on, signed out, without a detour
SIGNED_OUT = "You have been signed out. Please reload the page and sign in again."


# Where each role's fresh sign-in lands: its work page (a patient: their appointments).
LANDING = {
    "patient": "visits.appointments",
    "scheduler": "scheduler.calendar",
    "clinician": "waiting.clinic",
    "admin": "admin.index",
}


def local_path(next_url: str | None) -> str | None:
    """`next_url` when it is a path on this site ("/schedule/urgent"), else None (another site, a scheme,
    a protocol-relative "//host" or a backslash some browsers read as one)."""
    if not next_url or not next_url.startswith("/") or "\\" in next_url:
        return None
    parts = urlsplit(next_url)
    return next_url if not parts.scheme and not parts.netloc and not next_url.startswith("//") else None


def landing(user, next_url: str | None = None) -> str:
    """Where a fresh sign-in lands: the local page the user was sent from, else their role's work page."""
    return local_path(next_url) or url_for(LANDING.get(user.role, "pages.index"))


def limits() -> sessions.Limits:
    """The idle timeout and absolute lifetime from config."""
    cfg = current_app.config
    return sessions.Limits(
        idle=timedelta(minutes=cfg.get("SESSION_IDLE_MINUTES", 30)),
        lifetime=timedelta(hours=cfg.get("SESSION_MAX_HOURS", 12)),
    )


def sign_in(user) -> None:
    """A fresh session for `user` in this browser: nothing set before it carries over (no fixation)."""
    key = sessions.start(db.session, user, now=clock.now())
    session.clear()
    login_user(user)
    session[KEY] = key


def load_user(cookie_id: str):
    """Flask-Login's user loader: the cookie's user while its server-side session lasts."""
    resumed = sessions.resume(db.session, cookie_id, session.get(KEY), now=clock.now(), limits=limits())
    if resumed.expired:
        request.environ[EXPIRED] = resumed.expired
    return resumed.user


def expired_reason() -> str | None:
    """Why this request's session cookie stopped working (idle or lifetime), after the user was loaded."""
    return request.environ.get(EXPIRED)


def enforce():
    """Before each page request: a session that ended sends the person to sign in, told why, once."""
    if request.endpoint in UNCHECKED or "_user_id" not in session or bearer_token():
        return None
    current_user._get_current_object()  # loads the user: records why the session ended, if it did
    reason = expired_reason()
    if reason is None:
        return None
    logout_user()
    session.clear()
    if request.endpoint in QUIET or request.path.startswith("/api/"):
        return None
    flash(limits().message(reason))
    return redirect(url_for("pages.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


def ended_message(reason: str) -> str:
    """What the person is told when their session ended for `reason` (idle, lifetime, signed out, reset)."""
    return limits().message(reason) if reason in (sessions.IDLE, sessions.LIFETIME) else SIGNED_OUT


def socket_session_over(caller) -> str | None:
    """Why a cookie-authenticated socket's page session is over, or None: it lasts, and this event counts as
    activity. A database blip refuses nothing (the event itself then reports it)."""
    try:
        return sessions.check(db.session, caller.session_key, caller.user_id, now=clock.now(), limits=limits())
    except Exception:  # noqa: BLE001
        log.warning("waiting-room session check failed", exc_info=True)
        db.session.rollback()
        return None
    finally:
        db.session.remove()  # a socket event leaves no transaction open (SQLite's write lock)


def disconnect_soon(sid: str, namespace: str) -> None:
    """Close a socket half a second from now: after the refusal being returned has gone out as its ack."""

    def close() -> None:
        socketio.sleep(0.5)
        try:
            socketio.server.disconnect(sid, namespace=namespace)
        except Exception:  # noqa: BLE001 - gone already
            log.debug("socket %s already gone", sid)

    socketio.start_background_task(close)


def register(app: Flask) -> None:
    """Check the session before every request."""
    app.before_request(enforce)
