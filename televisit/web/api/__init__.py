"""The JSON API under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from televisit.web.api import appointments, audit, auth, catalog, messaging, openapi, patients, slots  # noqa: E402,F401
