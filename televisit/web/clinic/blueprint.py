"""The clinician pages' blueprint (/clinic) and what its modules share; each module adds its routes to it."""

from __future__ import annotations

from flask import Blueprint

from televisit.domain.errors import NotFound
from televisit.extensions import db
from televisit.services import catalog
from televisit.web.auth import current_actor

bp = Blueprint("clinician", __name__, url_prefix="/clinic")
UNLINKED = (
    "Your sign-in is not linked to a clinician profile yet. "
    "Ask an admin to put your email address on your clinician profile (Admin → Clinicians)."
)


def me():
    """The signed-in clinician: (actor, their clinician record); NotFound while the sign-in is unlinked."""
    actor = current_actor()
    if actor.clinician_id is None:
        raise NotFound(UNLINKED)
    return actor, catalog.get_clinician(db.session, actor.clinician_id)
