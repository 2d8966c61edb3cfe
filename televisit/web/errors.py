"""Error mapping: JSON `{"error": {...}}` under /api, a friendly page elsewhere."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, jsonify, make_response, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from televisit.domain.errors import DomainError
from televisit.extensions import db
from televisit.web.fhir.responses import outcome_response
from televisit.web.wording import sentences

log = logging.getLogger(__name__)
TOO_LARGE = "That was more than we accept in one request (at most 1 MB). Please send less and try again."


def wants_json() -> bool:
    """API routes (and clients asking for JSON) get JSON errors."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(
    status: int, code: str, message: str, fields: dict | None = None, reason: str | None = None, details=None
):
    """Render one error the way the caller expects (`details`: further members of the answer, in the error object
    and beside it, e.g. `"appointments"` a change would leave behind). Under /fhir: an OperationOutcome."""
    if request.path.startswith("/fhir"):
        return outcome_response(status, code, message, fields), status
    if wants_json():
        body = {"code": code, "message": message, "fields": fields or {}}
        if reason:
            body["reason"] = reason
        body |= details or {}
        return jsonify({"error": body, **(details or {})}), status
    return render_template("error.html", status=status, message=message, fields=sentences(fields)), status


def _db_error(exc: DBAPIError) -> str:
    """A database error without patient data: the driver's error class, SQLSTATE and the statement's start."""
    state = getattr(exc.orig, "sqlstate", None) or ""
    return f"{type(exc.orig).__name__} {state} in {(exc.statement or '')[:120]!r}".replace("  ", " ")


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        resp = error_response(exc.status, exc.code, exc.message, exc.fields, exc.reason, exc.details())
        if getattr(exc, "retry_after", None):
            resp[0].headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge):
        # MAX_CONTENT_LENGTH (1 MiB): JSON `too_large` under /api, the friendly page elsewhere.
        # /fhir answers here with an OperationOutcome (API.md).
        return error_response(413, "too_large", TOO_LARGE)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if exc.code == 400:
            code = "malformed"
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(exc: DBAPIError):
        # A lost or refused connection (a restart, a failover): each transaction commits whole or not at all.
        with contextlib.suppress(Exception):  # the rollback itself may meet the dead connection
            db.session.rollback()
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        resp = make_response(error_response(503, "unavailable", "The service is briefly unavailable; please retry."))
        resp.headers["Retry-After"] = "2"
        return resp

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if exc.connection_invalidated:  # a disconnect reported under another DBAPI class
            return database_down(exc)
        return unexpected(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        if isinstance(exc, DBAPIError):  # the driver's message may quote row values (PostgreSQL's DETAIL): keep it out
            log.error("unhandled database error on %s %s: %s", request.method, request.path, _db_error(exc))
        else:
            log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on our side; nothing you sent was lost.")
