"""The desk pages' blueprint (/schedule) and what its modules share; each module adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

from televisit.domain.regions import default_choice
from televisit.domain.roles import ADMIN, SCHEDULER
from televisit.web.staff import id_choices

bp = Blueprint("scheduler", __name__, url_prefix="/schedule")
bp.add_app_template_filter(id_choices, "id_choices")
# where the patient will be, as one of the region list's options (a profile's GB-ENG is the list's GB)
bp.add_app_template_filter(default_choice, "region_choice")
DESK = (ADMIN, SCHEDULER)
SLOT_DAYS, SLOT_LIMIT = 14, 80
