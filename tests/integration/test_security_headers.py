"""Security headers on every response, and templates that need no inline script or style (so the CSP holds)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import factories as f

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# E-mail bodies are not served to browsers (mail clients need inline styles); everything else is a web page.
WEB_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "email" not in p.relative_to(TEMPLATES).parts)
INLINE = {
    "inline <script> code": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_there_are_templates_to_scan():
    assert len(WEB_TEMPLATES) > 20


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_inline_script_handlers_or_styles(path):
    source = path.read_text()
    found = {what for what, pattern in INLINE.items() if pattern.search(source)}
    assert not found, f"{path.relative_to(TEMPLATES)}: move {', '.join(sorted(found))} to static/"


def test_the_scan_catches_each_kind():
    for sample in ("<script>alert(1)</script>", '<a onclick="x()">', '<p style="color:red">', "<style>p{}</style>"):
        assert any(p.search(sample) for p in INLINE.values()), sample
    assert not any(p.search('<script src="/static/js/app.js" defer></script>') for p in INLINE.values())


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/locations", "/no-such-page", "/api/v1/nothing"])
def test_every_response_carries_the_headers(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ):
        assert part in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # production only (test_security_signin checks it there)
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-ID"])


def test_stricter_page_policies_are_kept(client):
    from datetime import datetime

    from televisit import clock

    p = f.program()
    headers = f.token(client, "pat@example.org")
    body = {"visit_type_id": p.consult.id, "clinician_id": p.us_doc.id, "location_id": p.cleveland.id}
    body |= {"mode": "virtual", "start": "2027-03-08T09:00:00-05:00", "patient_region": "US-OH"}
    appt = client.post("/api/v1/appointments", json=body, headers=headers).json
    clock.freeze(datetime.fromisoformat("2027-03-08T08:45:00-05:00"))
    client.post("/login", data={"email": "pat@example.org", "password": f.PASSWORD})
    r = client.get(f"/waiting-room/{appt['id']}")
    assert r.status_code == 200
    assert (
        r.headers["Referrer-Policy"] == "no-referrer"
        and "media-src 'self' blob: mediastream:" in r.headers["Content-Security-Policy"]
    )
