"""GET /calendar/<token>.ics: a clinician's private subscription (the token is the credential)."""

from flask import Blueprint

from televisit.web.api.messaging import feed_response

bp = Blueprint("calendar_feed", __name__)


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    return feed_response(token)
