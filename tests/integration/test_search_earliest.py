"""The earliest slots of many clinicians (`search` with a `limit`) are exactly the first slots of the full listing.

The limited search reads a first batch of clinician-days in the order of a lower bound of their slots (max(first
rule window's start, the search's start), then clinician and site); then the rest at once, up to the `limit`-th slot
found, with each bound raised to the first grid start where the clinician's bookings leave room; and runs the engine
over them in that order until the `limit`-th slot comes before the next bound (`services.booking.search._earliest`).
Here the batches are made tiny so the stop is reached after a few of them, over clinicians with staggered hours at
two sites in two zones, some of them booked at the first possible times, with time off, a closure, and every filter
the search takes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import product

import pytest

from televisit import clock
from televisit.domain.roles import Actor
from televisit.domain.timezones import get_zone
from televisit.extensions import db
from televisit.models import SiteClosure, TimeOff
from televisit.services.booking import appointments as booking
from televisit.services.booking import search as search_module
from televisit.services.booking.check import SlotRequest
from televisit.services.booking.search import SlotQuery, search
from tests import factories as f

NOW = datetime(2027, 3, 1, 13, 0, tzinfo=timezone.utc)  # Monday 08:00 in Cleveland, 13:00 in London
MON = 0
BOTH = ("virtual", "in_person")


@pytest.fixture
def program(app, monkeypatch):
    clock.freeze(NOW)
    monkeypatch.setattr(search_module, "BATCH", 2)  # the frontier, with 12 clinicians
    monkeypatch.setattr(search_module, "HEAD", 2)  # and so that a limit of 1..5 needs the rest, by their first room,
    monkeypatch.setattr(search_module, "AFTER", 1)  # a clinician-day or two at a time
    cle = f.location()
    lon = f.location("London", "London", "GB-ENG", "GB", "Europe/London")
    consult = f.visit_type(minutes=30, before=5, after=10)
    docs = []
    for i in range(12):
        site = cle if i % 3 else lon
        start = (8 + i % 4) * 60 + (i % 2) * 30  # staggered: 08:00 .. 11:30
        rules = [(site, wd, start, start + 240, BOTH if i % 2 else ("virtual",)) for wd in range(5)]
        if i == 4:
            rules.append((lon, MON, 14 * 60, 16 * 60, BOTH))  # a second site the same day
        docs.append(f.clinician(f"Dr. {i}", visit_types=[consult], rules=rules, licenses=("US-OH", "GB")))
    sched = f.user("sched@example.org", "scheduler")
    actor = Actor(sched.id, "scheduler", None)
    patients = [f.user(f"p{i}@example.org", "patient", region="US-OH").patient_id for i in range(6)]
    for doc, patient_id in zip(docs[:6], patients, strict=True):  # the earliest times of half of them are taken
        site_id = doc.rules[0].location_id
        day = SlotQuery(consult.id, date(2027, 3, 2), date(2027, 3, 2), get_zone("UTC"), clinician_id=doc.id)
        first = search(db.session, SlotQuery(**{**day.__dict__, "location_id": site_id, "limit": 1}), now=NOW)[0]
        req = SlotRequest(consult.id, doc.id, site_id, first.mode, first.start, "US-OH")
        booking.book(db.session, booking.BookingRequest(req, patient_id=patient_id), actor=actor, now=NOW)
    db.session.add(TimeOff(clinician_id=docs[7].id, start_at=NOW, end_at=NOW + timedelta(days=2), reason="away"))
    db.session.add(SiteClosure(location_id=lon.id, day=date(2027, 3, 3), reason="holiday"))
    db.session.commit()
    yield consult, cle, lon
    clock.reset()


def _first_of_full_listing(q: SlotQuery) -> list:
    full = search(db.session, SlotQuery(**{**q.__dict__, "limit": None}), now=NOW)
    return full[: q.limit]


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 40])
def test_the_earliest_are_the_first_of_everything(program, limit):
    consult, cle, lon = program
    for zone, first in product(("America/New_York", "Europe/London"), (date(2027, 3, 1), date(2027, 3, 3))):
        q = SlotQuery(consult.id, first, first + timedelta(days=6), get_zone(zone), limit=limit)
        got = search(db.session, q, now=NOW)
        assert got == _first_of_full_listing(q), (zone, first)
        assert len(got) == limit


@pytest.mark.parametrize(
    "filters",
    [
        {"mode": "in_person"},
        {"mode": "virtual", "patient_region": "GB"},
        {"location": "lon"},
        {"location": "cle", "mode": "virtual"},
        {"only": True},
    ],
)
def test_with_each_filter_too(program, filters):
    consult, cle, lon = program
    kw = {k: v for k, v in filters.items() if k in ("mode", "patient_region")}
    if "location" in filters:
        kw["location_id"] = (cle if filters["location"] == "cle" else lon).id
    if filters.get("only"):
        kw["only"] = frozenset({(lon.id, date(2027, 3, 2)), (cle.id, date(2027, 3, 4))})
    for limit in (1, 3, 7):
        q = SlotQuery(consult.id, date(2027, 3, 1), date(2027, 3, 12), get_zone("America/New_York"), limit=limit, **kw)
        got = search(db.session, q, now=NOW)
        assert got and got == _first_of_full_listing(q), (filters, limit)


def test_over_http_the_api_lists_the_earliest_of_everyone(program, app):
    """`GET /api/v1/slots` (a limited search: the frontier) against the full listing of the same window."""
    consult, cle, lon = program
    q = SlotQuery(consult.id, date(2027, 3, 1), date(2027, 3, 5), get_zone("America/New_York"), limit=7)
    r = app.test_client().get(
        f"/api/v1/slots?visit_type_id={consult.id}&from=2027-03-01&to=2027-03-05&tz=America/New_York&limit=7"
    )
    assert r.status_code == 200, r.json
    expected = _first_of_full_listing(q)
    got = [(s["clinician_id"], s["location_id"], s["mode"], s["start"]) for s in r.json["slots"]]
    assert [(c, loc, m) for c, loc, m, _ in got] == [(s.clinician_id, s.location_id, s.mode) for s in expected]
    assert [datetime.fromisoformat(start) for *_, start in got] == [s.start for s in expected]
    assert r.json["more"] is True


@pytest.fixture
def busy_morning(app, monkeypatch):
    """Eight clinicians with the same hours (09:00-13:00 in Cleveland); all but the last have no room before 12:00
    (three by time off, four by three bookings each), and the last is free from 09:00."""
    clock.freeze(NOW)
    for name, value in (("BATCH", 2), ("HEAD", 2), ("AFTER", 1)):
        monkeypatch.setattr(search_module, name, value)
    cle = f.location()
    hour = f.visit_type(minutes=60, before=0, after=0)
    docs = [
        f.clinician(f"Dr. {i}", visit_types=[hour], rules=[(cle, wd, 9 * 60, 13 * 60, BOTH) for wd in range(5)])
        for i in range(8)
    ]
    zone, actor = get_zone("America/New_York"), Actor(f.user("s@example.org", "scheduler").id, "scheduler", None)
    at = [datetime(2027, 3, 2, h, tzinfo=zone) for h in (9, 10, 11, 12)]
    for doc in docs[:3]:
        db.session.add(TimeOff(clinician_id=doc.id, start_at=at[0], end_at=at[3], reason="theatre"))
    for n, (doc, start) in enumerate(product(docs[3:7], at[:3])):
        patient_id = f.user(f"p{n}@example.org", "patient", region="US-OH").patient_id
        req = SlotRequest(hour.id, doc.id, cle.id, "virtual", start.astimezone(timezone.utc), "US-OH")
        booking.book(db.session, booking.BookingRequest(req, patient_id=patient_id), actor=actor, now=NOW)
    db.session.commit()
    yield hour, docs
    clock.reset()


def test_the_engine_runs_only_where_there_is_room(busy_morning, monkeypatch):
    """The first two clinicians (the first batch) give 12:00; the other six are read up to 12:00 and ordered by where
    their bookings and time off first leave room: the last clinician (09:00) comes first, and once their 09:00 is
    found no other clinician-day can come earlier, so the engine is asked about three clinician-days, not eight."""
    hour, docs = busy_morning
    asked = []
    real = search_module.ChunkScan._day

    def counting(self, cid, *rest):
        asked.append(cid)
        return real(self, cid, *rest)

    monkeypatch.setattr(search_module.ChunkScan, "_day", counting)
    q = SlotQuery(hour.id, date(2027, 3, 2), date(2027, 3, 2), get_zone("America/New_York"), limit=1)
    got = search(db.session, q, now=NOW)
    assert [(s.clinician_id, s.start.hour) for s in got] == [(docs[7].id, 14)]  # 09:00 in Cleveland (EST)
    assert sorted(set(asked)) == sorted([docs[0].id, docs[1].id, docs[7].id])
    asked.clear()
    q = SlotQuery(**{**q.__dict__, "limit": 3})  # the 12:00 of the first two and the last one's 09:00 and 10:00 ...
    assert search(db.session, q, now=NOW) == _first_of_full_listing(q)
