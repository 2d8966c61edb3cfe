"""The main pages load under the Content-Security-Policy without a single violation (no inline script or style)."""

from __future__ import annotations

from televisit.extensions import db
from tests import factories as f
from tests.browser.patient_support import RED_FLAG_PATIENT, program_fixture  # noqa: F401

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""
PUBLIC = ["/", "/login", "/signup"]
BY_ROLE = {
    RED_FLAG_PATIENT: ["/appointments", "/find-care", "/profile", "/intake"],
    "csp-scheduler@example.org": ["/schedule", "/schedule/book", "/schedule/urgent", "/schedule/clinicians"],
    "csp-admin@example.org": ["/admin", "/admin/users", "/admin/audit", "/admin/visit-types"],
}


def _violations(page, path: str, console: list[str]) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    found = page.evaluate("window.__csp || []")
    return [f"{path}: {v}" for v in found] + [f"{path}: {m}" for m in console if "Content Security Policy" in m]


def _open(browser, base_url: str):
    context = browser.new_context(base_url=base_url)
    context.add_init_script(COLLECT)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    return context, page, console


def test_main_pages_have_no_csp_violations(browser, program):
    with program.app.app_context():
        f.user("csp-scheduler@example.org", "scheduler")
        f.user("csp-admin@example.org", "admin")
        db.session.commit()
    problems: list[str] = []
    context, page, console = _open(browser, program.server.url)
    for path in PUBLIC:
        problems += _violations(page, path, console)
    context.close()
    for email, paths in BY_ROLE.items():
        context, page, console = _open(browser, program.server.url)
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(f.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        for path in paths:
            problems += _violations(page, path, console)
        context.close()
    assert problems == []
