"""Property: every offered slot can be booked, and after each booking the list stays consistent.

Hypothesis draws a site zone, a date near a DST change, a rule window, a visit type (length and
buffers), time off and a sequence of picks; each pick books one of the currently offered slots
through the booking service, which must accept it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from televisit import clock
from televisit.domain.errors import SlotUnavailable
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone, wall_to_instant
from televisit.extensions import db
from televisit.services.booking import appointments as booking
from televisit.services.booking.check import SlotRequest
from televisit.services.booking.search import SlotQuery, search
from tests import factories as f
from tests.conftest import _wipe as _wipe_all

ZONES = ["America/New_York", "Europe/London"]
DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 11, 1),
    date(2027, 3, 14),
    date(2027, 10, 31),
    date(2027, 11, 7),
    date(2028, 3, 26),
    date(2027, 6, 9),
]


def _wipe():
    _wipe_all()  # the shared wipe: it leaves the append-only audit trail alone


@st.composite
def scenarios(draw):
    start = draw(st.integers(0, 80)) * 15
    end = draw(st.integers(start // 15 + 1, 96)) * 15
    return {
        "zone": draw(st.sampled_from(ZONES)),
        "day": draw(st.sampled_from(DAYS)),
        "window": (start, end),
        "minutes": draw(st.sampled_from([15, 30, 45, 60, 90])),
        "before": draw(st.sampled_from([0, 5, 15])),
        "after": draw(st.sampled_from([0, 10, 30])),
        "off": draw(st.one_of(st.none(), st.tuples(st.integers(0, 95), st.integers(1, 8)))),
        "picks": draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=6)),
    }


def _setup(sc):
    zone = get_zone(sc["zone"])
    loc = f.location(tz=sc["zone"])
    vt = f.visit_type(minutes=sc["minutes"], before=sc["before"], after=sc["after"])
    doc = f.clinician(
        visit_types=[vt],
        licenses=("US-OH", "GB"),
        rules=[(loc, sc["day"].weekday(), *sc["window"], ("virtual", "in_person"))],
    )
    patient = f.user(f"p{datetime.now().timestamp()}@example.org", "patient", region="US-OH")
    if sc["off"]:
        start = wall_to_instant(sc["day"], sc["off"][0] * 15, zone)
        from televisit.services.catalog import add_time_off

        add_time_off(db.session, doc.id, start, start + timedelta(minutes=15 * sc["off"][1]))
    return zone, loc, vt, doc, patient


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios())
def test_every_offered_slot_books(app, sc):
    _wipe()
    clock.freeze(datetime(2026, 1, 1, 12, tzinfo=get_zone("UTC")))
    try:
        zone, loc, vt, doc, patient = _setup(sc)
        actor = Actor(patient.id, "patient", patient.patient_id)
        query = SlotQuery(vt.id, sc["day"], sc["day"], zone, location_id=loc.id, mode="in_person")
        for pick in sc["picks"]:
            offered = search(db.session, query, now=clock.now())
            if not offered:
                break
            slot = offered[pick % len(offered)]
            req = SlotRequest(vt.id, doc.id, loc.id, "in_person", slot.start, None)
            appt = booking.book(db.session, booking.BookingRequest(req), actor=actor, now=clock.now())
            assert appt.start_at == slot.start
            after = search(db.session, query, now=clock.now())
            assert slot not in after
            blocked = (appt.block_start, appt.block_end)

            def collides(other, blocked=blocked):
                ob = (other.start - timedelta(minutes=sc["before"]), other.end + timedelta(minutes=sc["after"]))
                return ob[0] < blocked[1] and blocked[0] < ob[1]

            # exactly what was free before, less what meets the new booking: nothing still offered
            # collides with it, and no free slot goes missing (the search reads bookings as merged gaps)
            assert after == [s for s in offered if not collides(s)]
    finally:
        clock.reset()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios(), offset=st.integers(1, 14))
def test_starts_off_the_grid_are_refused(app, sc, offset):
    _wipe()
    clock.freeze(datetime(2026, 1, 1, 12, tzinfo=get_zone("UTC")))
    try:
        zone, loc, vt, doc, patient = _setup(sc)
        actor = Actor(patient.id, "patient", patient.patient_id)
        offered = search(
            db.session,
            SlotQuery(vt.id, sc["day"], sc["day"], zone, location_id=loc.id, mode="in_person"),
            now=clock.now(),
        )
        starts = {s.start for s in offered}
        for slot in offered[:3]:
            odd = slot.start + timedelta(minutes=offset)
            if odd in starts:
                continue
            req = SlotRequest(vt.id, doc.id, loc.id, "in_person", odd, None)
            try:
                booking.book(db.session, booking.BookingRequest(req), actor=actor, now=clock.now())
            except SlotUnavailable as exc:
                assert exc.reason == "outside_hours"
            else:
                raise AssertionError(f"booked an off-grid start {odd}")
    finally:
        clock.reset()
