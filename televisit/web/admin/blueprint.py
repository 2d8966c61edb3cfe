"""The admin pages' blueprint (/admin); each module of this package adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

from televisit.domain.calendar import minutes_text

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_filter(minutes_text, "minutes_text")
