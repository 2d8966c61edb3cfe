"""The board pages' blueprint (/board) and what its modules share: the viewer's clocks."""

from __future__ import annotations

from flask import Blueprint, request

from televisit.domain.roles import STAFF, Actor
from televisit.domain.timezones import get_zone, is_zone
from televisit.extensions import db
from televisit.services.board.agenda import Clocks, home_zone
from televisit.web.staff import viewer_locale

bp = Blueprint("board", __name__, url_prefix="/board")
STAFF_ROLES = STAFF


def clocks_for(actor: Actor, fallback: str) -> Clocks:
    """The viewer's clocks: `?tz=` when it names a zone, else a clinician's own zone, else `fallback` (the
    board's site's)."""
    asked = request.args.get("tz")
    zone = asked if asked and is_zone(asked) else home_zone(db.session, actor) or fallback
    return Clocks(get_zone(zone), viewer_locale())
