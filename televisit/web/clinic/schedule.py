"""Clinician pages: the clinic of a day (today by default, any day by `?date=YYYY-MM-DD`) per site in that
site's local time, and a Monday-to-Sunday week, with the joint visits they attend, each patient's reason and
own clock, and the rest of a clinic-day patient's day; and the calendar subscription link.

The waiting-room dashboard itself is `/clinic` (televisit/web/waiting_pages.py); these pages link to it.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, flash, make_response, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.calendar import WEEK, range_label, view_days
from televisit.domain.roles import CLINICIAN
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.services.board import agenda as board_pages
from televisit.services.desk import clinic_day
from televisit.services.messaging import feeds
from televisit.web.api.parse import day as parse_day
from televisit.web.clinic.blueprint import bp, me
from televisit.web.staff import Problem, desk_roles, viewer_locale

__all__ = ["bp"]
BAD_DATE = (
    "We couldn't read “{}” as a date. Pick a day with the date picker, or type it as year-month-day "
    "(for example 2027-03-08). Here is {} instead."
)


def _chosen_day(instead: str) -> tuple[date | None, Problem | None]:
    """`?date=YYYY-MM-DD`: the day asked for (None: today), or None and a sentence saying why it can't be read."""
    raw = request.args.get("date", "").strip()
    if not raw:
        return None, None
    try:
        return parse_day(raw), None
    except ValueError:
        return None, Problem(BAD_DATE.format(raw[:40], instead), {}, 422)


def _today(clinician) -> date:
    """Today at the clinician's own site (their weekly hours' first site)."""
    return local_date(clock.now(), get_zone(clinic_day.home_zone(db.session, clinician)))


@bp.get("/today")
@desk_roles(CLINICIAN)
def today():
    actor, clinician = me()
    day, trouble = _chosen_day("today's clinic")
    sites = clinic_day.clinic_day(db.session, clinician, now=clock.now(), locale=viewer_locale(), actor=actor, day=day)
    shown = day or _today(clinician)
    nav = {"previous": shown - timedelta(days=1), "next": shown + timedelta(days=1), "shown": shown}
    boards = board_pages.member_sessions(db.session, clinician.id, _my_clocks(actor), now=clock.now())
    html = render_template(
        "clinician/today.html", me=clinician, sites=sites, day=day, nav=nav, problem=trouble,
        title=range_label([shown], viewer_locale()), board_sessions=boards,
    )  # fmt: skip
    return html, trouble.status if trouble else 200


@bp.get("/week")
@desk_roles(CLINICIAN)
def week():
    actor, clinician = me()
    chosen, trouble = _chosen_day("this week")
    days = view_days(WEEK, chosen or _today(clinician))
    week_days = clinic_day.clinic_week(db.session, clinician, days=days, locale=viewer_locale(), actor=actor)
    nav = {"previous": days[0] - timedelta(days=7), "next": days[0] + timedelta(days=7), "first": days[0]}
    html = render_template(
        "clinician/week.html", me=clinician, days=week_days, nav=nav, problem=trouble,
        title=range_label(days, viewer_locale()), count=sum(len(d.entries) for d in week_days),
    )  # fmt: skip
    return html, trouble.status if trouble else 200


def _my_clocks(actor) -> board_pages.Clocks:
    """The clinician's own zone (their main site's) for their board sessions."""
    return board_pages.Clocks(get_zone(board_pages.home_zone(db.session, actor) or "UTC"), viewer_locale())


def _link_page(url: str | None = None):
    actor, clinician = me()
    active = feeds.count_active(db.session, clinician.id, actor=actor)
    resp = make_response(render_template("clinician/calendar_link.html", me=clinician, url=url, active=active))
    resp.headers["Cache-Control"] = "no-store"  # the page may carry a secret URL
    return resp


@bp.get("/calendar-link")
@desk_roles(CLINICIAN)
def calendar_link():
    return _link_page()


@bp.post("/calendar-link")
@desk_roles(CLINICIAN)
def create_calendar_link():
    actor, clinician = me()
    token = feeds.create(db.session, clinician.id, actor=actor, now=clock.now())
    return _link_page(current_app.config["PUBLIC_URL"] + url_for("calendar_feed.feed", token=token))


@bp.post("/calendar-link/revoke")
@desk_roles(CLINICIAN)
def revoke_calendar_links():
    actor, clinician = me()
    revoked = feeds.revoke_all(db.session, clinician.id, actor=actor, now=clock.now())
    flash(f"Revoked {revoked} link{'s' if revoked != 1 else ''}. Calendars subscribed to them stop updating.")
    return redirect(url_for("clinician.calendar_link"))
