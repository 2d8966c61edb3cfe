"""The desk pages' blueprint (/schedule) and what its modules share; each module adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

from televisit.domain.roles import ADMIN, SCHEDULER
from televisit.web.staff import birth_date, id_choices

bp = Blueprint("scheduler", __name__, url_prefix="/schedule")
bp.add_app_template_filter(id_choices, "id_choices")
bp.add_app_template_filter(birth_date, "birth_date")  # templates/desk/_identity.html
DESK = (ADMIN, SCHEDULER)
SLOT_DAYS, SLOT_LIMIT = 14, 80
