"""`Cache-Control: no-store` on everything that may carry patient data (API.md "Limits every client can rely on").

Every /api/v1 answer is `no-store` except the public catalog's reads (GET of `/locations`, `/visit-types`,
`/clinicians`, `/slots`, `/openapi.json` and their public sub-paths), which are the same for everyone and
may be cached. Every page is `no-store` too (signed-in pages carry patient data; the others carry a
session's CSRF token), unless its view chose its own policy (a calendar feed's short private cache).
Static and vendor files keep theirs. (`/fhir`, when it exists, follows the API's rule: patient data no-store.)
"""

from __future__ import annotations

from flask import Flask, current_app, request

NO_STORE = "no-store"
PUBLIC_CATALOG = ("/locations", "/visit-types", "/clinicians", "/slots", "/openapi.json")
API = "/api/v1"
STATIC_ENDPOINTS = frozenset({"static", "vendor.asset"})


def public_catalog_read() -> bool:
    """A GET of the public catalog whose view anyone may call (no `roles_required`)."""
    if request.method not in ("GET", "HEAD"):
        return False
    path = request.path.removeprefix(API)
    if not any(path == p or path.startswith(p + "/") for p in PUBLIC_CATALOG):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "signed_in_only", False)


def cache_policy(resp):
    """no-store on the API (but the public catalog) and on pages (but those that set their own policy)."""
    if request.endpoint in STATIC_ENDPOINTS:
        return resp
    if request.path == API or request.path.startswith(API + "/"):
        if not public_catalog_read():
            resp.headers["Cache-Control"] = NO_STORE
        return resp
    resp.headers.setdefault("Cache-Control", NO_STORE)
    return resp


def register(app: Flask) -> None:
    """Install the hook."""
    app.after_request(cache_policy)
