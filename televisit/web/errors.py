"""Error mapping: JSON `{"error": {...}}` under /api, a friendly page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from televisit.domain.errors import DomainError
from televisit.extensions import db

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """API routes (and clients asking for JSON) get JSON errors."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, fields: dict | None = None, reason: str | None = None):
    """Render one error the way the caller expects."""
    if wants_json():
        body = {"code": code, "message": message, "fields": fields or {}}
        if reason:
            body["reason"] = reason
        return jsonify({"error": body}), status
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.reason)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if exc.code == 400:
            code = "malformed"
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(OperationalError)
    def database_down(exc: OperationalError):
        db.session.rollback()
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        resp = error_response(503, "unavailable", "The service is briefly unavailable; please retry.")
        resp[0].headers["Retry-After"] = "2"
        return resp

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on our side; nothing you sent was lost.")
