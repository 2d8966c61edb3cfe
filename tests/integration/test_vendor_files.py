"""Front-end packages are served from node_modules on our own origin: allow-listed files only, cached by version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _version() -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return lock["packages"]["node_modules/socket.io-client"]["version"]


@pytest.fixture
def installed():
    if not (ROOT / "node_modules/socket.io-client/dist/socket.io.min.js").is_file():
        pytest.skip("node_modules not installed (run `npm ci`)")


def test_the_lock_pins_a_protocol_v5_client_without_download_urls():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert _version().startswith("4.")  # socket.io-client 4.x speaks protocol v5, as python-socketio 5.x
    assert json.loads((ROOT / "package.json").read_text())["dependencies"]["socket.io-client"] == _version()
    assert not any("resolved" in entry for entry in lock["packages"].values())


def test_the_versioned_client_is_served_with_a_long_cache(client, installed):
    r = client.get(f"/vendor/socket.io.min.js?v={_version()}")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert f"Socket.IO v{_version()}" in r.get_data(as_text=True)[:200]
    assert r.cache_control.max_age == 365 * 24 * 3600 and r.cache_control.public and r.cache_control.immutable
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unversioned_or_stale_url_revalidates(client, installed):
    for url in ("/vendor/socket.io.min.js", "/vendor/socket.io.min.js?v=0.0.1"):
        r = client.get(url)
        assert r.status_code == 200 and r.cache_control.no_cache and not r.cache_control.immutable


@pytest.mark.parametrize(
    "path",
    ["/vendor/socket.io.js", "/vendor/package.json", "/vendor/..%2Fpackage.json", "/vendor/ical.min.js"],
)
def test_files_off_the_allow_list_are_not_served(client, path):
    assert client.get(path).status_code == 404
