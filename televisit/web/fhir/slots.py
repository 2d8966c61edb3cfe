"""Slot read and search: free slots ONLY, computed by the engine of `GET /api/v1/slots` (no stored Slot rows).

`GET /fhir/Slot` searches:

* `schedule` (`Schedule/<clinician>.<site>` or the bare id; comma = any of; at most 10): that clinician's
  slots at that site. Without it, `service-type` is required and every clinician is searched: the window
  bound (below) keeps that a bounded read, like `/api/v1/slots` without `clinician_id`.
* `start` with `ge`/`gt`/`le`/`lt` (or none: that day, or that second) on a date or an instant with its
  offset. A date is the local date at the slot's site (a clinic's calendar: `ge2027-03-01` at London is
  London's midnight). Default window: now to 7 days on (from a lower bound alone: 7 days from it); a
  window of more than 31 days is a 422 (one more hour allowed for a DST change). An empty window: no slots.
* `service-type`: a visit type id, or `<our system>|<id>`; another system matches nothing. Default: every
  visit type the clinician offers at that site, each searched.
* `status`: `free` is all we publish. Other Slot statuses (`busy`, ...) are valid and answer an empty
  Bundle: busy time is not published (it says when a patient is seen); an unknown status is a 422.
* `_count`/`_offset` page the answer (sorted by start, then clinician, site, visit type, mode); `next` is
  given when a later slot exists, without counting them all (no `total`).
Repeated parameters must all hold (FHIR's AND); comma-separated values are alternatives (OR).

No patient region: a video slot is listed whatever licence the patient needs (as `/api/v1/slots` without
`patient_region`); `$find` takes the patient and applies licensure, as does every booking.

`GET /fhir/Slot/<id>`: 200 while that slot is still free and bookable, asked of the booking check itself
(`check_slot`, for a patient where the clinician is licensed); 404 once it is taken or gone, or for an id
that is not one of ours. The id names the slot (`ids.SlotKey`), so it is the same in every search.

Slots are built by `slot_resource.SlotBuilder` (plain dicts from templates; see there why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import request

from televisit import clock
from televisit.domain.errors import Invalid, NotFound
from televisit.domain.timezones import get_zone, parse_instant, wall_to_instant
from televisit.extensions import db
from televisit.services.booking import publish
from televisit.web.fhir import codes
from televisit.web.fhir.auth import READ, allowed
from televisit.web.fhir.blueprint import bp
from televisit.web.fhir.bundle import page_of, searchset
from televisit.web.fhir.ids import schedule_key, slot_key
from televisit.web.fhir.responses import fhir_json
from televisit.web.fhir.slot_resource import builder

DEFAULT_DAYS, MAX_WINDOW = 7, timedelta(days=31, hours=1)  # the hour: 31 local days across a DST change
MAX_SCHEDULES = 10
STATUSES = ("free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error")
_START = re.compile(r"^(ge|gt|le|lt|eq)?([0-9]{4}-[0-9]{2}-[0-9]{2})(T.+)?$")
NO_MATCH = -1  # a service-type of another code system: matches none of our visit types


# --- search parameters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """One `start` bound: `prefix` ge/gt (lower) or le/lt (upper), on a local date or an instant."""

    prefix: str
    day: date | None = None
    instant: datetime | None = None

    @property
    def lower(self) -> bool:
        return self.prefix in ("ge", "gt")

    def at(self, zone) -> datetime:
        """The bound as the instant it excludes from or includes to, at a site in `zone`."""
        beyond = self.prefix in ("gt", "le")  # past the named day or instant
        if self.day is not None:
            return wall_to_instant(self.day + timedelta(days=1) if beyond else self.day, 0, zone)
        return self.instant + publish.TICK if beyond else self.instant


def _bounds(values: list[str]) -> list[Bound]:
    bounds = []
    for raw in values:
        m = _START.match(raw)
        if m is None:
            raise Invalid({"start": "use ge, gt, le or lt and a date (2027-03-01) or an instant with its offset"})
        prefix, day, time = m.group(1) or "eq", m.group(2), (m.group(3) or "").replace(" ", "+")  # an unescaped +
        try:
            value = {"instant": parse_instant(day + time)} if time else {"day": date.fromisoformat(day)}
        except ValueError as exc:  # not a date, or an instant without its offset
            raise Invalid({"start": f"{raw!r}: {exc}"}) from exc
        parts = ("ge", "le") if prefix == "eq" else (prefix,)
        bounds.extend(Bound(p, **value) for p in parts)
    return bounds


def span_of(bounds: list[Bound], now: datetime):
    """The window [lo, hi) at a site's zone (see the module docstring); Invalid past 31 days."""

    def span(zone) -> tuple[datetime, datetime]:
        try:
            lows = [b.at(zone) for b in bounds if b.lower]
            highs = [b.at(zone) for b in bounds if not b.lower]
            lo = max(lows) if lows else now
            hi = min(highs) if highs else lo + timedelta(days=DEFAULT_DAYS)
        except OverflowError as exc:  # year 1 or 9999 and a day or an offset beyond
            raise Invalid({"start": "out of range"}) from exc
        if hi - lo > MAX_WINDOW:
            raise Invalid({"start": "a search covers at most 31 days: add or narrow a bound (ge..., lt...)"})
        return lo, hi

    return span


def _all_of(name: str, parse) -> set | None:
    """The values of a repeated, comma-separated parameter: each repetition must hold (AND), a comma is OR."""
    groups = [{parse(v.strip()) for v in raw.split(",")} for raw in request.args.getlist(name)]
    return set.intersection(*groups) if groups else None


def _schedule(value: str) -> tuple[int, int]:
    try:
        return schedule_key(value.rsplit("Schedule/", 1)[-1])
    except NotFound as exc:
        raise Invalid({"schedule": "a Schedule reference: Schedule/<clinician>.<site>"}) from exc


def _service_type(value: str) -> int:
    system, bar, code = value.rpartition("|")
    if bar and system != codes.system(codes.SERVICE_TYPE_SYSTEM_PATH):
        return NO_MATCH
    if not code.isdigit() or len(code) > 9:
        raise Invalid({"service-type": "a visit type id, or <system>|<id> (see HealthcareService)"})
    return int(code)


def _status(value: str) -> str:
    if value not in STATUSES:
        raise Invalid({"status": f"one of {', '.join(STATUSES)}"})
    return value


def targets(snap) -> list[publish.Target]:
    """The engine searches this request asks for (none when it can match nothing)."""
    schedules, services = _all_of("schedule", _schedule), _all_of("service-type", _service_type)
    statuses = _all_of("status", _status)
    if schedules is None and services is None:
        raise Invalid({"schedule": "name a schedule, or a service-type to search every clinician"})
    if schedules is not None and len(schedules) > MAX_SCHEDULES:
        raise Invalid({"schedule": f"at most {MAX_SCHEDULES} schedules per search"})
    if statuses is not None and "free" not in statuses:
        return []  # we publish free slots only
    if schedules is None:
        return publish.service_targets(snap, services)
    return publish.schedule_targets(snap, sorted(schedules), services)


# --- routes --------------------------------------------------------------------------------------


@bp.get("/Slot")
@allowed("Slot", READ, public=True)
def search_slots():
    now, page = clock.now(), page_of(request.args)
    span = span_of(_bounds(request.args.getlist("start")), now)
    span(get_zone("UTC"))  # a window too wide is refused before any search (and when none would run)
    snap = publish.catalog(db.session)
    found = publish.find(db.session, targets(snap), span, want=page.end + 1, now=now, snap=snap)
    build = builder(snap)
    shown = [build(s) for s in found[page.offset : page.end]]
    return fhir_json(searchset(shown, page, more=page.count > 0 and len(found) > page.end))  # _count=0: no loop


@bp.get("/Slot/<slot_id>")
@allowed("Slot", READ, public=True)
def read_slot(slot_id: str):
    key = slot_key(slot_id)
    slot = None
    if key.id() == slot_id:  # one spelling per slot: `01.2...` is not an id we gave
        args = (key.clinician_id, key.location_id, key.visit_type_id, key.mode, key.start)
        slot = publish.still_free(db.session, *args, now=clock.now())
    if slot is None:
        raise NotFound(f"Slot {slot_id} is not free: it was taken, or it is gone.")
    return fhir_json(builder(publish.catalog(db.session))(slot))
