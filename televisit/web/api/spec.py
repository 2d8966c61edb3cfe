"""GET /openapi.json: the OpenAPI 3 document describing every /api/v1 route."""

from __future__ import annotations

from flask import jsonify

from televisit.web.api.blueprint import bp
from televisit.web.api.openapi.document import document


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(document())
