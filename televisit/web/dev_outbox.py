"""The dev outbox (embedded default, never in production): every SMS and email, readable, with invitations.

It shows patients' contact details, so it answers only in development (`DEV_OUTBOX`; the test config turns it
off unless a test turns it on) and only to a browser on this machine: a loopback client address and no proxy
header (a request relayed by a proxy on this machine comes from elsewhere). Anything else is a plain 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import OutboxMessage
from televisit.web.local import from_this_machine

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev/outbox")
PAGE = 100


@bp.before_request
def _local_development_only():
    if not current_app.config.get("DEV_OUTBOX") or not from_this_machine():
        abort(404)


@bp.get("")
def index():
    channel = request.args.get("channel") if request.args.get("channel") in ("sms", "email") else None
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE)
    if channel:
        stmt = stmt.where(OutboxMessage.channel == channel)
    return render_template("dev/outbox.html", messages=db.session.scalars(stmt).all(), channel=channel)


@bp.get("/<int:message_id>.ics")
def invitation(message_id: int):
    msg = db.session.get(OutboxMessage, message_id)
    if msg is None or not msg.ics:
        abort(404, "This message has no calendar invitation.")
    return Response(
        msg.ics,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="message-{msg.id}.ics"'},
    )
