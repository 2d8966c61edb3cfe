"""Waitlist (earlier-slot requests) and clinicians' calendar feeds."""

from flask import Response, current_app, jsonify, url_for

from televisit import clock
from televisit.extensions import db
from televisit.services.messaging import feeds, waitlist
from televisit.web.api.blueprint import bp
from televisit.web.auth import current_actor, roles_required


@bp.post("/appointments/<int:appointment_id>/waitlist")
@roles_required()
def join_waitlist(appointment_id: int):
    entry = waitlist.join(db.session, appointment_id, actor=current_actor(), now=clock.now())
    return jsonify({"appointment_id": entry.appointment_id, "status": entry.status}), 201


@bp.delete("/appointments/<int:appointment_id>/waitlist")
@roles_required()
def leave_waitlist(appointment_id: int):
    waitlist.leave(db.session, appointment_id, actor=current_actor())
    return "", 204


@bp.post("/clinicians/<int:clinician_id>/calendar-feed")
@roles_required("admin", "clinician")
def create_feed(clinician_id: int):
    token = feeds.create(db.session, clinician_id, actor=current_actor(), now=clock.now())
    path = url_for("calendar_feed.feed", token=token)
    return jsonify({"url": current_app.config["PUBLIC_URL"] + path}), 201


@bp.delete("/clinicians/<int:clinician_id>/calendar-feed")
@roles_required("admin", "clinician")
def revoke_feeds(clinician_id: int):
    revoked = feeds.revoke_all(db.session, clinician_id, actor=current_actor(), now=clock.now())
    return jsonify({"revoked": revoked})


def feed_response(token: str) -> Response:
    """The body of GET /calendar/<token>.ics (registered on the pages side: no API auth)."""
    body = feeds.feed_ics(db.session, token, now=clock.now(), public_url=current_app.config["PUBLIC_URL"])
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})
