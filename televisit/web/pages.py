"""Server-rendered pages (issue 2: home and sign-in; the full web app comes later)."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from televisit.domain.errors import Unauthorized
from televisit.extensions import db
from televisit.services import auth as auth_service
from televisit.services import catalog

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return render_template(
        "index.html",
        locations=catalog.list_locations(db.session),
        visit_types=catalog.list_visit_types(db.session),
        clinicians=catalog.list_clinicians(db.session),
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            user = auth_service.authenticate(
                db.session, request.form.get("email", ""), request.form.get("password", "")
            )
        except Unauthorized as exc:
            error = exc.message
        else:
            session.clear()  # a fresh session at sign-in
            login_user(user)
            return redirect(url_for("pages.index"))
    return render_template("login.html", error=error, email=request.form.get("email", "")), (401 if error else 200)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    return redirect(url_for("pages.index"))


@bp.get("/healthz")
def healthz():
    return {"ok": True}
