"""Server-rendered pages (issue 2: home and sign-in; the full web app comes later)."""

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from televisit import clock
from televisit.domain.errors import Locked, Unauthorized, Unconfirmed
from televisit.extensions import db
from televisit.services import auth as auth_service
from televisit.services import catalog
from televisit.web.security import lockout_policy, signin_limited
from televisit.web.sessions import landing, sign_in

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return render_template(
        "index.html",
        locations=catalog.list_locations(db.session),
        visit_types=catalog.list_visit_types(db.session),
        clinicians=catalog.list_clinicians(db.session),
    )


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: answer it (a 404 would fill every console)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")


@bp.route("/login", methods=["GET", "POST"])
@signin_limited
def login():
    error, status, retry = None, 200, None
    if request.method == "POST":
        try:
            user = auth_service.authenticate(
                db.session,
                request.form.get("email", ""),
                request.form.get("password", ""),
                now=clock.now(),
                lockout=lockout_policy(),
            )
        except (Unauthorized, Locked, Unconfirmed) as exc:
            error, status, retry = exc.message, exc.status, getattr(exc, "retry_after", None)
        else:
            sign_in(user)  # a fresh session at sign-in: nothing set before it carries over
            return redirect(landing(user, request.args.get("next")))  # each role: its work page
    resp = make_response(render_template("login.html", error=error, email=request.form.get("email", "")), status)
    if retry:
        resp.headers["Retry-After"] = str(retry)
    return resp


@bp.post("/logout")
def logout():
    """Sign out of every browser (old session cookies stop working); API tokens are separate (docs/security.md)."""
    if current_user.is_authenticated:
        auth_service.end_sessions(db.session, current_user, now=clock.now())
        logout_user()
    session.clear()
    return redirect(url_for("pages.index"))


@bp.get("/healthz")
def healthz():
    """Alive: answers while the process runs, whatever the database does (readiness: GET /readyz)."""
    return {"ok": True}
