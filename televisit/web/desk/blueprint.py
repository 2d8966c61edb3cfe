"""The desk pages' blueprint (/schedule) and what its modules share; each module adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

from televisit.domain.regions import default_choice
from televisit.domain.roles import ADMIN, SCHEDULER
from televisit.extensions import db
from televisit.services.urgent import cases as urgent_cases
from televisit.web.staff import birth_date, id_choices

bp = Blueprint("scheduler", __name__, url_prefix="/schedule")
bp.add_app_template_filter(id_choices, "id_choices")
bp.add_app_template_filter(birth_date, "birth_date")  # templates/desk/_identity.html
# where the patient will be, as one of the region list's options (a profile's GB-ENG is the list's GB)
bp.add_app_template_filter(default_choice, "region_choice")
DESK = (ADMIN, SCHEDULER)
SLOT_DAYS, SLOT_LIMIT = 14, 80


@bp.app_context_processor
def _urgent_count():
    """`urgent_open_count()` for the desk's navigation ("Urgent (3)"); counted only where a page calls it."""
    return {"urgent_open_count": lambda: urgent_cases.open_count(db.session)}
