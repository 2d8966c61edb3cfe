"""GET /slots: free slots, sorted by start and grouped by local date in the viewer's zone."""

from itertools import groupby

from flask import jsonify, request

from televisit import clock
from televisit.domain.availability import MODES
from televisit.domain.errors import Invalid
from televisit.domain.timezones import get_zone, local_date
from televisit.extensions import db
from televisit.models import Location
from televisit.services.booking.search import SlotQuery, search
from televisit.web.api.blueprint import bp
from televisit.web.api.parse import Fields, bounded, day, ident, one_of, region, zone_name
from televisit.web.api.serialize import slot_json

MAX_RANGE_DAYS = 366


def view_zone(tz: str | None, location_id: int | None) -> str:
    """The zone to show times in: `tz`, else the location's, else UTC."""
    loc = db.session.get(Location, location_id) if location_id else None
    if location_id and loc is None:  # checked even when `tz` is given: an unknown id is always a 422
        raise Invalid({"location_id": "no such location"})
    if tz:
        return tz
    return loc.timezone if loc else "UTC"


@bp.get("/slots")
def list_slots():
    f = Fields(request.args, query=True)
    visit_type_id, first, last = (
        f.get("visit_type_id", ident, required=True),
        f.get("from", day, required=True),
        f.get("to", day, required=True),
    )
    tz, location_id = f.get("tz", zone_name), f.get("location_id", ident)
    clinician_id, mode = f.get("clinician_id", ident), f.get("mode", one_of(*MODES))
    patient_region, limit = f.get("patient_region", region), f.get("limit", bounded(1, 1000))
    if first and last and not 0 <= (last - first).days <= MAX_RANGE_DAYS:
        f.errors["to"] = f"must be on or after 'from' and at most {MAX_RANGE_DAYS} days later"
    f.done()
    zone = get_zone(view_zone(tz, location_id))
    q = SlotQuery(visit_type_id, first, last, zone, location_id, clinician_id, mode, patient_region, limit)
    slots = search(db.session, q, now=clock.now())
    days = [
        {"date": d.isoformat(), "slots": [slot_json(s, zone) for s in group]}
        for d, group in groupby(slots, key=lambda s: local_date(s.start, zone))
    ]
    return jsonify({"timezone": zone.key, "slots": [slot_json(s, zone) for s in slots], "days": days})
