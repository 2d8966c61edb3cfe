"""Admin page /admin/fhir-clients: systems (an EHR) that call the FHIR facade with SMART Backend Services.

Register one (its name, its public key set pasted or uploaded, the scopes it may ask for) and hand its
client_id to its integration engineer; revoke one, which ends its tokens at once. docs/fhir-backend-services.md
is the integration engineer's side.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from televisit import clock
from televisit.domain.errors import DomainError, Invalid
from televisit.domain.roles import ADMIN
from televisit.domain.smart_scopes import REGISTRABLE
from televisit.extensions import db
from televisit.services.integrations import clients
from televisit.services.integrations.keys import MAX_CHARS
from televisit.web.admin.blueprint import bp
from televisit.web.audit import request_context
from televisit.web.fhir.oauth import token_url
from televisit.web.staff import desk_roles, problem


def _scope_choices() -> list[tuple[str, str]]:
    def words(scope: str) -> str:
        kind, _, perm = scope.removeprefix("system/").partition(".")
        what = "every resource" if kind == "*" else kind
        return f"{'Read' if perm == 'read' else 'Write'} {what} ({scope})"

    return [(scope, words(scope)) for scope in REGISTRABLE]


def _values(form, trouble) -> dict:
    """What was typed, to show again; never a pasted private key (it goes back to nobody, not even the page)."""
    values = form.to_dict() if form is not None else {}
    if trouble and "private key material" in trouble.fields.get("jwks", ""):
        values["jwks"] = ""
    return values


def _page(form=None, trouble=None):
    html = render_template(
        "admin/fhir_clients.html",
        clients=clients.list_clients(db.session),
        scope_choices=_scope_choices(),
        token_url=token_url(),
        discovery_url=url_for("fhir.smart_configuration"),
        form=_values(form, trouble),
        checked=(form.getlist("scopes") if form is not None else []),
        problem=trouble,
    )
    return html, trouble.status if trouble else 200


@bp.get("/fhir-clients")
@desk_roles(ADMIN)
def fhir_clients():
    return _page()


def _key_set_text() -> str:
    """The uploaded JWK Set file when one was chosen, else the pasted text."""
    upload = request.files.get("jwks_file")
    if upload is None or not upload.filename:
        return request.form.get("jwks", "")
    data = upload.read(MAX_CHARS + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid({"jwks": "The uploaded file is not text: upload the JWK Set's JSON file."}) from None


@bp.post("/fhir-clients")
@desk_roles(ADMIN)
def register_fhir_client():
    form = request.form
    try:
        client = clients.register(
            db.session,
            name=form.get("name", ""),
            jwks=_key_set_text(),
            scopes=form.getlist("scopes"),
            ctx=request_context(),
            now=clock.now(),
        )
    except DomainError as exc:
        db.session.rollback()
        return _page(form, problem(exc))
    flash(f"{client.name} is registered. Its client_id is {client.client_id}: give it to its integration engineer.")
    return redirect(url_for("admin.fhir_clients", _anchor=f"client-{client.client_id}"))


@bp.post("/fhir-clients/revoke")
@desk_roles(ADMIN)
def revoke_fhir_client():
    client_id = request.form.get("client_id", "").strip()
    try:
        if not client_id:
            raise Invalid({"client_id": "Choose the client to revoke."})
        client = clients.revoke(db.session, client_id, ctx=request_context(), now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        return _page(trouble=problem(exc))
    flash(f"{client.name} is revoked: its tokens no longer work, and it gets no new ones.")
    return redirect(url_for("admin.fhir_clients", _anchor=f"client-{client.client_id}"))
