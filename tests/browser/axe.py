"""axe-core (from npm, node_modules/axe-core) in a Playwright page: the serious and critical violations."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import service_missing

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def _source() -> str:
    if not AXE.exists():
        service_missing(f"axe-core not installed at {AXE} (run npm ci)")
    return AXE.read_text(encoding="utf-8")


def violations(page, impacts=BLOCKING) -> list[dict]:
    """Run axe on the page as it is now; each violation of the given impacts as {id, impact, help, targets}."""
    # Evaluated through the DevTools protocol, not as a <script> tag: a page CSP without inline script allows it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def assert_accessible(page) -> None:
    """Fail with axe's findings when the page has a serious or critical violation."""
    found = violations(page)
    assert found == [], f"axe on {page.url}: {found}"
