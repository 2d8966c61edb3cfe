"""GET /audit: the audit trail, filtered and paginated (admins only)."""

from __future__ import annotations

from flask import jsonify, request

from televisit.domain.roles import ADMIN
from televisit.domain.timezones import date_range_bounds, get_zone, render
from televisit.extensions import db
from televisit.services import audit
from televisit.services.audit import MAX_PER_PAGE, AuditQuery
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import Fields, bounded, day, ident, text
from televisit.web.auth import roles_required

UTC = get_zone("UTC")


def audit_query(args) -> tuple[AuditQuery, int, int]:
    """Filters and page from query arguments (shared with the admin page); Invalid names each bad one."""
    f = Fields(args, query=True)
    first, last = f.get("from", day), f.get("to", day)
    query = AuditQuery(
        user_id=f.get("user_id", ident),
        patient_id=f.get("patient_id", ident),
        appointment_id=f.get("appointment_id", ident),
        action=f.get("action", text(48)),
        start=date_range_bounds(first, first, UTC)[0] if first else None,
        end=date_range_bounds(last, last, UTC)[1] if last else None,
    )
    page = f.get("page", bounded(1, 100_000), default=1)
    per_page = f.get("per_page", bounded(1, MAX_PER_PAGE), default=50)
    if first and last and last < first:
        f.errors["to"] = "must be on or after 'from'"
    f.done()
    return query, page, per_page


def event_json(e) -> dict:
    """One audit event on the wire (instants in UTC)."""
    return {
        "id": e.id,
        "at": render(e.at, UTC),
        "user_id": e.user_id,
        "role": e.role,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "patient_id": e.patient_id,
        "outcome": e.outcome,
        "channel": e.channel,
        "ip": e.ip,
        "user_agent": e.user_agent,
        "request_id": e.request_id,
    }


@bp.get("/audit")
@roles_required(ADMIN)
def audit_events():
    query, page, per_page = audit_query(request.args)
    rows, total = audit.search(db.session, query, page=page, per_page=per_page)
    return jsonify({"events": [event_json(e) for e in rows], "page": page, "per_page": per_page, "total": total})
