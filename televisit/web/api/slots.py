"""GET /slots: free slots, sorted by start and grouped by local date in the viewer's zone.

At most MAX_SLOTS (the earliest) per answer, `"more": true` when any were cut; anonymous searches are
rate-limited per client address (`TELEVISIT_ANON_SEARCH_LIMIT`): a long search is the API's most
expensive read, and anyone may send it.
"""

from itertools import groupby

from flask import current_app, jsonify, request

from televisit import clock
from televisit.domain.availability import MODES
from televisit.domain.errors import Invalid, Unauthorized
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db, limiter
from televisit.models import Location
from televisit.services.booking.search import SlotQuery, search
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import Fields, bounded, day, ident, one_of, region, zone_name
from televisit.web.api.serialize import slot_json
from televisit.web.auth import current_actor
from televisit.web.security import limited

MAX_RANGE_DAYS = 366
MAX_SLOTS = 1000
SEARCH_THROTTLED = "Too many searches from your network. Please wait a minute and try again, or sign in."


def view_zone(tz: str | None, location_id: int | None) -> str:
    """The zone to show times in: `tz`, else the location's, else UTC."""
    loc = db.session.get(Location, location_id) if location_id else None
    if location_id and loc is None:  # checked even when `tz` is given: an unknown id is always a 422
        raise Invalid({"location_id": "no such location"})
    if tz:
        return tz
    return loc.timezone if loc else "UTC"


def _signed_in() -> bool:
    """A valid bearer token or a signed-in session (a bad token counts as anonymous: no way around the limit)."""
    try:
        return current_actor() is not None
    except Unauthorized:
        return False


anonymous_search_limit = limiter.limit(
    lambda: current_app.config.get("ANON_SEARCH_LIMIT", "30 per minute"),
    scope="anon_search",
    exempt_when=_signed_in,
    error_message=SEARCH_THROTTLED,
)


@bp.get("/slots")
@limited(anonymous_search_limit)
def list_slots():
    f = Fields(request.args, query=True)
    visit_type_id, first, last = (
        f.get("visit_type_id", ident, required=True),
        f.get("from", day, required=True),
        f.get("to", day, required=True),
    )
    tz, location_id = f.get("tz", zone_name), f.get("location_id", ident)
    clinician_id, mode = f.get("clinician_id", ident), f.get("mode", one_of(*MODES))
    patient_region, limit = f.get("patient_region", region), f.get("limit", bounded(1, MAX_SLOTS))
    if first and last and not 0 <= (last - first).days <= MAX_RANGE_DAYS:
        f.errors["to"] = f"must be on or after 'from' and at most {MAX_RANGE_DAYS} days later"
    f.done()
    zone = get_zone(view_zone(tz, location_id))
    most = limit or MAX_SLOTS
    q = SlotQuery(visit_type_id, first, last, zone, location_id, clinician_id, mode, patient_region, most + 1)
    found = search(db.session, q, now=clock.now())  # one more than shown: is anything cut?
    slots = found[:most]
    shown = [slot_json(s, zone) for s in slots]
    days = [
        {"date": d.isoformat(), "slots": [shown[i] for i, _ in group]}
        for d, group in groupby(enumerate(slots), key=lambda pair: local_date(pair[1].start, zone))
    ]
    return jsonify({"timezone": zone.key, "slots": shown, "days": days, "more": len(found) > most})
