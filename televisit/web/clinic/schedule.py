"""Clinician pages: the clinic of a day (today by default) per site in that site's local time, with the joint
visits they attend and the rest of a clinic-day patient's day; and the calendar subscription link.

The waiting-room dashboard itself is `/clinic` (televisit/web/waiting_pages.py); these pages link to it.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import NotFound
from televisit.domain.roles import CLINICIAN
from televisit.domain.timezones import UTC, get_zone, local_date
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.board import agenda as board_pages
from televisit.services.desk import clinic_day
from televisit.services.messaging import feeds
from televisit.web.auth import current_actor
from televisit.web.staff import desk_roles, viewer_locale

bp = Blueprint("clinician", __name__, url_prefix="/clinic")
UNLINKED = (
    "Your sign-in is not linked to a clinician profile yet. "
    "Ask an admin to put your email address on your clinician profile (Admin → Clinicians)."
)


def _me():
    actor = current_actor()
    if actor.clinician_id is None:
        raise NotFound(UNLINKED)
    return actor, catalog.get_clinician(db.session, actor.clinician_id)


def _day_param() -> date | None:
    """`?date=YYYY-MM-DD` (another day's clinic); None (each site's today) when absent or malformed."""
    try:
        return date.fromisoformat(request.args.get("date") or "")
    except ValueError:
        return None


@bp.get("/today")
@desk_roles(CLINICIAN)
def today():
    actor, me = _me()
    day = _day_param()
    sites = clinic_day.clinic_day(db.session, me, now=clock.now(), locale=viewer_locale(), actor=actor, day=day)
    shown = day or local_date(clock.now(), UTC)
    nav = {"previous": shown - timedelta(days=1), "next": shown + timedelta(days=1)}
    boards = board_pages.member_sessions(db.session, me.id, _my_clocks(actor), now=clock.now())
    return render_template("clinician/today.html", me=me, sites=sites, day=day, nav=nav, board_sessions=boards)


def _my_clocks(actor) -> board_pages.Clocks:
    """The clinician's own zone (their main site's) for their board sessions."""
    return board_pages.Clocks(get_zone(board_pages.home_zone(db.session, actor) or "UTC"), viewer_locale())


def _link_page(url: str | None = None):
    actor, me = _me()
    active = feeds.count_active(db.session, me.id, actor=actor)
    resp = make_response(render_template("clinician/calendar_link.html", me=me, url=url, active=active))
    resp.headers["Cache-Control"] = "no-store"  # the page may carry a secret URL
    return resp


@bp.get("/calendar-link")
@desk_roles(CLINICIAN)
def calendar_link():
    return _link_page()


@bp.post("/calendar-link")
@desk_roles(CLINICIAN)
def create_calendar_link():
    actor, me = _me()
    token = feeds.create(db.session, me.id, actor=actor, now=clock.now())
    return _link_page(current_app.config["PUBLIC_URL"] + url_for("calendar_feed.feed", token=token))


@bp.post("/calendar-link/revoke")
@desk_roles(CLINICIAN)
def revoke_calendar_links():
    actor, me = _me()
    revoked = feeds.revoke_all(db.session, me.id, actor=actor, now=clock.now())
    flash(f"Revoked {revoked} link{'s' if revoked != 1 else ''}. Calendars subscribed to them stop updating.")
    return redirect(url_for("clinician.calendar_link"))
