"""The FHIR clients page in a real Chromium: an admin pastes a private key by mistake and is told so, uploads the
public JWK Set file instead, ticks scopes, registers; the client then gets a token from the live server with
an assertion it signs; the admin revokes it. The page is axe-core clean and logs no console error."""

from __future__ import annotations

import json
import re

import requests
from playwright.sync_api import expect

from televisit import clock
from tests.browser.axe import assert_accessible
from tests.browser.desk_support import ADMIN, DESK, desk_fixture
from tests.support.smart_client import SmartClient, ec_key, public_set

assert desk_fixture  # the fixture `desk`, used by name below
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of 422 ")


def _token(live, smart: SmartClient, token_url: str) -> requests.Response:
    clock.freeze(live.server.clock_now())  # the assertion's times are the server's
    try:
        form = smart.form("system/Slot.read", aud=token_url)
    finally:
        clock.reset()
    return requests.post(token_url, data=form, timeout=10)


def test_an_admin_registers_and_revokes_a_fhir_client(pages, live, desk, tmp_path):
    page = pages.signed_in(ADMIN, viewport=DESK)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not REFUSED.match(m.text) else None)
    page.goto("/admin")
    page.get_by_role("link", name="FHIR clients").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("FHIR clients")
    assert_accessible(page)
    key = ec_key("ehr-2027")
    page.get_by_label("Name").fill("Epic production")
    page.get_by_label("Public key set (JWK Set)").fill(json.dumps({"keys": [key.as_dict(private=True)]}))
    page.get_by_label("Read Slot (system/Slot.read)").check()
    page.get_by_role("button", name="Register the client").click()
    expect(page.locator("#problem")).to_contain_text("private key material")
    assert_accessible(page)
    expect(page.get_by_label("Public key set (JWK Set)")).to_have_value("")  # the private key is not shown again
    upload = tmp_path / "jwks.json"
    upload.write_text(json.dumps(public_set(key)))
    page.get_by_label("Or upload the JWK Set file").set_input_files(str(upload))
    expect(page.get_by_label("Read Slot (system/Slot.read)")).to_be_checked()  # the ticks were kept
    page.get_by_role("button", name="Register the client").click()
    flash = page.locator(".flash")
    expect(flash).to_contain_text("Epic production is registered")
    client_id = re.search(r"client_id is ([0-9a-f]{32})", flash.inner_text()).group(1)
    token_url = page.locator("main code").first.inner_text()
    assert token_url == f"{live.server.url}/fhir/auth/token"
    granted = _token(live, SmartClient(client_id, [key]), token_url)
    assert granted.status_code == 200 and granted.json()["scope"] == "system/Slot.read", granted.text
    page.get_by_role("button", name="Revoke Epic production").click()
    expect(page.locator(".flash")).to_contain_text("Epic production is revoked")
    expect(page.locator(f"#client-{client_id}")).to_contain_text("revoked")
    assert _token(live, SmartClient(client_id, [key]), token_url).json()["error"] == "invalid_client"
    assert_accessible(page)
    assert errors == [], errors
