"""The JSON API's blueprint (/api/v1); each module of this package adds its routes to it."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
