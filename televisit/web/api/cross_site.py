"""Cross-site writes: the JSON API also accepts the pages' session cookie, which a browser sends along with a
form that another site posts. So a state-changing request signed in by that cookie (no bearer token) must
carry the page's CSRF token (Flask-WTF) in `X-CSRFToken`, as a page script reads it from the
`<meta name="csrf-token">` of templates/base.html; without it: 403 `code: "csrf"`, before the view runs.
Bearer clients are unaffected (another site cannot make a browser send our token); anonymous requests get the
answers they always had (`POST /auth/token` signs in without a token; the rest are 401).
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from televisit.web.api.blueprint import bp
from televisit.web.auth import bearer_token
from televisit.web.errors import error_response

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = (
    "This request was signed in by a browser session but did not carry the page's security token: "
    "send it in the X-CSRFToken header, or use a bearer token. Nothing was changed."
)


def _cookie_write() -> bool:
    """A state-changing request whose only credential is the session cookie."""
    return request.method in WRITES and bearer_token() is None and current_user.is_authenticated


@bp.before_request
def cookie_writes_carry_the_token():
    """403 `csrf` for a cookie-authenticated write without a valid X-CSRFToken (CSRF off: tests only)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or not _cookie_write():
        return None
    try:
        # The header only (a form field is what a cross-site form could send, were it ever to learn a token);
        # no Referer check: a page with `Referrer-Policy: no-referrer` (the waiting room) must still work.
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except ValidationError:
        return error_response(403, "csrf", REFUSED)
    return None
