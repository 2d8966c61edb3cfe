"""The FHIR R4 facade's blueprint (/fhir); each module of this package adds its routes to it."""

from flask import Blueprint

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
