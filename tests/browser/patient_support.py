"""Browser fixtures for the patient journeys: fresh demo data on the live server, and patient browser contexts.

The live server (tests/browser/conftest.py `live`) starts its clock on Monday 2027-03-01 09:05 in Cleveland.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from televisit import clock
from televisit.extensions import db
from televisit.models import Clinician
from televisit.services import seed
from tests import factories as f

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
DESK = {"width": 1440, "height": 900}
VIEWPORTS = {"phone": PHONE, "tablet": TABLET, "desk": DESK}
OKAFOR = "amara.okafor@demo.televisit.local"
RED_FLAG_PATIENT = "rose@example.org"


def build_program() -> None:
    """The demo program; Dr. Amara Okafor (Cleveland) also licensed in the UK; one Ohio patient with an account."""
    seed.seed(db.session, now=clock.now())
    okafor = db.session.scalars(select(Clinician).where(Clinician.email == OKAFOR)).one()
    if "GB" not in okafor.licenses:  # the seed may already list her UK registration
        okafor.licenses = [*okafor.licenses, "GB"]
    db.session.commit()
    f.user(RED_FLAG_PATIENT, "patient", region="US-OH", name="Rose Ohio")
    db.session.commit()  # end the transaction: on SQLite an open one would hold the server's writes


@pytest.fixture(name="program")
def program_fixture(live):
    """Fresh data on the live server's database for one test (wiped before and after)."""
    from tests.conftest import _wipe

    with live.app.app_context():
        _wipe()
        build_program()
        try:
            yield live
        finally:
            db.session.remove()
            _wipe()


class PatientBrowser:
    """Browser contexts (own cookies, own time zone) against the live server; closed after the test."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url, self.contexts = browser, base_url, []

    def page(self, viewport: dict, *, zone: str = "America/New_York"):
        """A fresh page whose browser says it is in `zone` (the sign-up page guesses it)."""
        context = self.browser.new_context(viewport=viewport, base_url=self.base_url, timezone_id=zone)
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(name="patients")
def patients_fixture(browser, program):
    """Open patient pages against the live server."""
    opened = PatientBrowser(browser, program.server.url)
    yield opened
    opened.close()
