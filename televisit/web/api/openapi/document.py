"""The OpenAPI 3 document describing every /api/v1 route."""

from __future__ import annotations

from televisit.web.api.openapi import audit, board, care, paths
from televisit.web.api.openapi.parts import SCHEMAS, errors

WRITES = ("post", "put", "patch", "delete")


def _cookie_writes_need_csrf(every: dict) -> dict:
    """Any write may be refused 403 `csrf` when it is signed in by the session cookie without X-CSRFToken."""
    for item in every.values():
        for verb in WRITES:
            if verb in item:
                item[verb]["responses"] = {**errors(403), **item[verb]["responses"]}
    return every


def document() -> dict:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Televisit API",
            "version": "1.0.0",
            "description": "Scheduling for a multi-site spine tumor program. Instants are ISO 8601 with offset.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": _cookie_writes_need_csrf({**paths.paths(), **audit.paths(), **care.paths(), **board.paths()}),
        "components": {
            "schemas": SCHEMAS | care.SCHEMAS | board.SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }
