"""Account pages for everyone who signs in with a password: "check your email", confirm the address, and
"forgot password" (services/accounts.py). Links carry their token in the query string (`?t=`), which the
access log never keeps; the pages send no Referer off the page and are never cached."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import Forbidden, Invalid
from televisit.domain.passwords import HINT
from televisit.domain.validation import is_email
from televisit.extensions import db
from televisit.services import accounts
from televisit.web.security import account_email_limited

bp = Blueprint("account", __name__, url_prefix="/account")
CHECK_EMAIL = ("signup", "forgot")


def _page(template: str, status: int = 200, **ctx):
    resp = make_response(render_template(template, password_hint=HINT, **ctx), status)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the link's token must not travel on in a Referer
    return resp


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _link_problem(exc: Forbidden):
    return _page("account/link_problem.html", 403, message=exc.message)


@bp.get("/check-email")
def check_email():
    """The one answer to a sign-up or a reset request, whatever the address."""
    after = request.args.get("after")
    return _page("account/check_email.html", after=after if after in CHECK_EMAIL else "forgot")


@bp.get("/confirm")
def confirm():
    """Follow the emailed link: the address is confirmed, then sign in."""
    try:
        accounts.confirm(db.session, _secret(), request.args.get("t"), now=clock.now())
    except Forbidden as exc:
        return _link_problem(exc)
    flash("Your email address is confirmed. Sign in to continue.")
    return redirect(url_for("pages.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@account_email_limited
def forgot():
    """Ask for a link to set a new password (the same answer whether or not the address has an account)."""
    email = (request.form.get("email") or "").strip()
    if request.method == "GET":
        return _page("account/forgot.html", errors={}, form={})
    if not is_email(email):
        errors = {"email": "Enter an email address like name@example.com."}
        return _page("account/forgot.html", 422, errors=errors, form=request.form)
    accounts.request_reset(db.session, email, now=clock.now())
    return redirect(url_for("account.check_email", after="forgot"))


@bp.route("/reset", methods=["GET", "POST"])
def reset():
    """Choose a new password through the emailed link."""
    link = request.form.get("t") if request.method == "POST" else request.args.get("t")
    try:
        if request.method == "GET":
            user = accounts.reset_target(db.session, _secret(), link, now=clock.now())
            return _page("account/reset.html", errors={}, link=link, email=user.email)
        user = accounts.reset_password(db.session, _secret(), link, request.form.get("password"), now=clock.now())
    except Forbidden as exc:
        return _link_problem(exc)
    except Invalid as exc:
        user = accounts.reset_target(db.session, _secret(), link, now=clock.now())
        return _page("account/reset.html", 422, errors=exc.fields, link=link, email=user.email)
    flash("Your new password is set, and you have been signed out everywhere else. Sign in with it now.")
    return redirect(url_for("pages.login"))
