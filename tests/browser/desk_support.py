"""Browser fixtures for the desk journeys: the small program of tests/factories.py on the live server.

The live server (tests/browser/conftest.py `live`) starts its clock on Monday 2027-03-01 09:05 in Cleveland;
the Ohio patient's video visit is booked for the next Monday at 09:00 EST.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from televisit.extensions import db
from televisit.services.auth import actor_of
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from tests import factories as f

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
DESK = {"width": 1440, "height": 900}
VIEWPORTS = {"phone": PHONE, "tablet": TABLET, "desk": DESK}
SCHEDULER, ADMIN = "sched@example.org", "admin@example.org"
VISIT_AT = datetime.fromisoformat("2027-03-08T09:00:00-05:00")
BOOKED_AT = datetime.fromisoformat("2027-03-01T09:05:00-05:00")


def build_desk_program() -> dict:
    """factories.program() plus the Ohio patient's video consult with Dr. Cleveland on Mon 8 Mar, 09:00 EST."""
    p = f.program()
    slot = SlotRequest(p.consult.id, p.us_doc.id, p.cleveland.id, "virtual", VISIT_AT, "US-OH")
    req = booking.BookingRequest(slot, p.users["other"].patient_id, "Second opinion on an MRI")
    appt = booking.book(db.session, req, actor=actor_of(p.users["scheduler"]), now=BOOKED_AT)
    ids = {"appointment": appt.id, "clinician": p.us_doc.id, "patient": p.users["other"].patient_id}
    db.session.commit()  # end the transaction: on SQLite an open one would hold the server's writes
    return ids


@pytest.fixture(name="desk")
def desk_fixture(live):
    """Fresh data on the live server's database for one test (wiped before and after); yields the ids."""
    from tests.conftest import _wipe

    with live.app.app_context():
        _wipe()
        try:
            yield build_desk_program()
        finally:
            db.session.remove()
            _wipe()
