"""Admin page /admin/audit: the audit trail, filterable by user, patient, appointment, action and dates."""

from __future__ import annotations

from flask import render_template, request, url_for

from televisit.domain.errors import Invalid
from televisit.domain.roles import ADMIN
from televisit.extensions import db
from televisit.services import audit
from televisit.web.admin.blueprint import bp
from televisit.web.api.audit import audit_query
from televisit.web.staff import desk_roles

FILTERS = ("user_id", "patient_id", "appointment_id", "action", "from", "to")


@bp.get("/audit")
@desk_roles(ADMIN)
def audit_page():
    form = {k: request.args.get(k, "") for k in FILTERS}
    try:
        query, page, per_page = audit_query(request.args)
    except Invalid as exc:
        return _render(form, [], 0, 1, 50, exc.fields), 422
    rows, total = audit.search(db.session, query, page=page, per_page=per_page)
    names = audit.names_for(db.session, rows, query.user_id, also_patients=(query.patient_id,))
    return _render(form, rows, total, page, per_page, {}, names=names, query=query)


def _render(form: dict, rows, total: int, page: int, per_page: int, errors: dict, *, names=None, query=None):
    kept = {k: v for k, v in form.items() if v}
    pages = {
        "prev": url_for("admin.audit_page", **kept, page=page - 1) if page > 1 else None,
        "next": url_for("admin.audit_page", **kept, page=page + 1) if page * per_page < total else None,
    }
    return render_template(
        "admin/audit.html",
        form=form,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        errors=errors,
        actions=audit.actions(db.session),
        names=names or audit.Names({}, {}),
        query=query,
    )
