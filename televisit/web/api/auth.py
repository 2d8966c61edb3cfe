"""POST /auth/token and DELETE /auth/token (sign-out)."""

from flask import current_app, jsonify

from televisit import clock
from televisit.domain.errors import Unauthorized
from televisit.domain.timezones import get_zone, render
from televisit.extensions import db
from televisit.services import auth as auth_service
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import Fields, json_body, text
from televisit.web.auth import bearer_token
from televisit.web.security import lockout_policy, signin_limited


@bp.post("/auth/token")
@signin_limited
def create_token():
    f = Fields(json_body())
    email, password = f.get("email", text(254), required=True), f.get("password", text(1024, lines=True), required=True)
    f.done()
    user = auth_service.authenticate(db.session, email, password, now=clock.now(), lockout=lockout_policy())
    token, expires = auth_service.issue_token(
        db.session, user, now=clock.now(), hours=current_app.config["API_TOKEN_HOURS"]
    )
    return jsonify({"token": token, "role": user.role, "expires_at": render(expires, get_zone("UTC"))}), 200


@bp.delete("/auth/token")
def revoke_token():
    token = bearer_token()
    if not token or not auth_service.revoke_token(db.session, token, now=clock.now()):
        raise Unauthorized("Send the token to revoke as 'Authorization: Bearer <token>'.")
    return "", 204
