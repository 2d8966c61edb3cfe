"""The dev outbox (embedded default, never in production): every SMS and email, readable, with invitations."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select

from televisit.extensions import db
from televisit.models import OutboxMessage

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev/outbox")
PAGE = 100


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
