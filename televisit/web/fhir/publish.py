"""SMART Scheduling Links: `GET /fhir/$bulk-publish` (the manifest) and its NDJSON files. No auth, no
patient data; manifest and files may be cached for MAX_AGE seconds (`Cache-Control: public, max-age`).

Files: `Location.ndjson` (every site), `Schedule.ndjson` (every clinician at every site where they offer
something) and one Slot file per site (`Slot-<site>.ndjson`, free slots starting in the next
`TELEVISIT_PUBLISH_DAYS` days), each Slot entry carrying the site's US state (`extension.state`, as the
spec's example manifest does) so a client can skip regions it does not serve. The spec leaves the split to
the publisher; per site keeps each file one zone and one catalog of hours.

Every file is a generator response (`stream_with_context`): the Slot file is computed 14 local days of its
site at a time (`services.booking.publish.site_slots`, each its own short read), so memory stays that of
one such piece's slots whatever the horizon, sent BATCH lines at a time. Slot lines are the resources
of `GET /fhir/Slot`, as text from per-template JSON (`slot_resource.SlotBuilder.line`: neither a pydantic model nor
a `json.dumps` per slot, which would cost more than the engine); tests validate every line.

`_since` (an instant with its offset; anything else is a 422) is accepted and answered with the full data
set, as the spec lets a server do ("clients should be prepared to retrieve a full data set"). Honestly
nothing narrower is possible: a free slot changes not only with bookings, holds, cancellations, time off
and catalog edits but with time itself (the notice period and the horizon move every minute, so some
slot appears or goes in almost any interval); NDJSON has no way to say "this slot is gone", so a file of
changes only would leave booked slots free in a client's copy; and the catalog stamp says that the
catalog changed, never when. `request` echoes the `_since` received; `transactionTime` is what to send next.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from flask import Response, current_app, request, stream_with_context

from televisit import clock
from televisit.domain.errors import Invalid, NotFound
from televisit.domain.timezones import parse_instant
from televisit.extensions import db
from televisit.services import catalog
from televisit.services.booking import publish
from televisit.web.fhir.blueprint import bp
from televisit.web.fhir.build import location_resource, schedule_resource
from televisit.web.fhir.bundle import base_url
from televisit.web.fhir.responses import FHIR_NDJSON, as_dict
from televisit.web.fhir.slot_resource import builder

MAX_AGE = 300  # seconds a client or cache may keep the manifest and files (clients poll every 1-5 minutes)
CACHE = {"Cache-Control": f"public, max-age={MAX_AGE}"}
FILES = "/$bulk-publish"
BATCH = 256  # Slot lines per piece of a streamed file (about 200 KB)


def _line(resource) -> str:
    return json.dumps(as_dict(resource), separators=(",", ":"), ensure_ascii=False) + "\n"


def _ndjson(lines) -> Response:
    return Response(stream_with_context(lines), mimetype=FHIR_NDJSON, headers=CACHE)


def _state(loc) -> list[str]:
    """The site's US state for the manifest's `extension.state` (none outside the US)."""
    country, _, state = loc.region.partition("-")
    return [state] if country == "US" and state else []


@bp.get("/$bulk-publish")
def manifest():
    since = request.args.get("_since")
    if since is not None:
        try:
            parse_instant(since.replace(" ", "+"))  # an unescaped + in the query arrives as a space
        except ValueError as exc:
            raise Invalid({"_since": f"an instant with its offset, e.g. 2027-03-01T09:00:00Z ({exc})"}) from exc
    files = base_url() + FILES
    output = [
        {"type": "Location", "url": f"{files}/Location.ndjson"},
        {"type": "Schedule", "url": f"{files}/Schedule.ndjson"},
    ]
    for loc in catalog.list_locations(db.session):
        item = {"type": "Slot", "url": f"{files}/Slot-{loc.id}.ndjson"}
        output.append(item | ({"extension": {"state": _state(loc)}} if _state(loc) else {}))
    body = {
        "transactionTime": clock.now().astimezone(UTC).isoformat(timespec="seconds"),
        "request": request.url,
        "output": output,
        "error": [],
    }
    return Response(json.dumps(body), mimetype="application/json", headers=CACHE)


@bp.get(f"{FILES}/Location.ndjson")
def location_file():
    sites = catalog.list_locations(db.session)
    return _ndjson(_line(location_resource(loc)) for loc in sites)


@bp.get(f"{FILES}/Schedule.ndjson")
def schedule_file():
    rows = publish.schedules(db.session, publish.catalog(db.session))
    return _ndjson(
        _line(schedule_resource(r.clinician_id, r.clinician_name, r.location_id, r.location_name, r.services))
        for r in rows
    )


@bp.get(f"{FILES}/Slot-<int:location_id>.ndjson")
def slot_file(location_id: int):
    now, snap = clock.now(), publish.catalog(db.session)
    if location_id not in snap.zones:
        raise NotFound(f"No Slot file for site {location_id}.")
    build = builder(snap)
    horizon = now + timedelta(days=current_app.config["PUBLISH_DAYS"])
    pieces = publish.site_slots(db.session, location_id, now, horizon, now=now, snap=snap)
    return _ndjson(_batches(pieces, build.line))


def _batches(pieces, line):
    """The lines of each piece's slots, BATCH at a time (a server holds one while it makes the next)."""
    for piece in pieces:
        for i in range(0, len(piece), BATCH):
            yield "".join(map(line, piece[i : i + BATCH]))
