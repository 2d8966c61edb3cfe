"""The Slot resource of a free slot, for `GET /fhir/Slot` and the bulk Slot files alike.

Slots are plain dicts from per-visit-type and per-clinician templates (`SlotBuilder`), and the bulk files'
lines text cut from those templates' JSON: they build tens of thousands, and a pydantic model (or a
`json.dumps`) each would cost more than the engine that computes them. Tests validate every Slot they see
against the R4 models.

A Slot names its Schedule (clinician and site), its visit type (`serviceType`), video or in person
(`appointmentType`, a coding of ours: R4 has no virtual flag), start and end with the site's offset, and
SMART Scheduling Links' `booking-deep-link` (into find-care's confirmation of that time, or the find-care
page for a visit type patients do not book online) and `booking-phone` (`CARE_TEAM_PHONE`).
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import current_app, url_for

from televisit.domain.availability import Slot
from televisit.domain.care import NEEDS, CareQuery
from televisit.domain.timezones import get_zone, render
from televisit.extensions import db
from televisit.services.booking import publish
from televisit.web.fhir import codes
from televisit.web.fhir.ids import STAMP, SlotKey, schedule_id

NEED_BY_VISIT = {need.visit_type_name: need for need in NEEDS}
TIMES = 4096  # instants a SlotBuilder keeps as text (a few weeks of one site's starts and ends)
HOLE = f"@{secrets.token_hex(8)}@"  # marks a hole in a line template: never in a name or a URL of ours


class SlotBuilder:
    """Slot resources for one request: what every slot of a visit type, mode, clinician and site shares is
    built once; a slot adds its id, times and deep link. `line` is the same resource as NDJSON text: the
    template's JSON cut at four holes, the slot's parts put in (no JSON encoding per slot: the bulk files'
    cost). The parts are ASCII without quotes or backslashes, so they need no escaping."""

    def __init__(self, names: dict[int, str], zones: dict[int, str]):
        cfg = current_app.config
        self.names, self.phone, public = names, cfg["CARE_TEAM_PHONE"], cfg["PUBLIC_URL"].rstrip("/")
        self.zones = {loc: get_zone(name) for loc, name in zones.items()}
        self.confirm, self.find = public + url_for("care.confirm"), public + url_for("care.search")
        self._shared: dict[tuple, dict] = {}
        self._times: dict[tuple, tuple[str, str, str]] = {}

    def __call__(self, s: Slot) -> dict:
        """The Slot resource of a free slot."""
        shared = self._template(s)
        return self._resource(shared, *self._parts(s, shared))

    def line(self, s: Slot) -> str:
        """`json.dumps` of the Slot resource (compact) and a newline."""
        shared = self._template(s)
        a, b, c, d, e = shared.get("line") or self._line_template(shared)
        slot_id, tail, start, end = self._parts(s, shared)
        return a + slot_id + b + tail + c + start + d + end + e

    def _parts(self, s: Slot, shared: dict) -> tuple[str, str, str, str]:
        """What is the slot's own: its id, the deep link's tail, start and end (instants at the site)."""
        zone = self.zones[s.location_id]
        start, tail, stamp = self._when(s.start, zone)
        return shared["id"] + stamp, tail if shared["pick"] else "", start, self._when(s.end, zone)[0]

    def _when(self, instant: datetime, zone) -> tuple[str, str, str]:
        """An instant at a site as text: ISO with the site's offset, that URL-encoded, and the id's UTC stamp
        (memoised: the slots of a site share their starts and ends, across clinicians and modes)."""
        key = (instant, zone)
        found = self._times.get(key)
        if found is None:
            if len(self._times) >= TIMES:
                self._times.clear()
            text = render(instant, zone)
            tail = text.replace(":", "%3A").replace("+", "%2B")
            found = self._times[key] = (text, tail, instant.astimezone(UTC).strftime(STAMP))  # as SlotKey.id()
        return found

    @staticmethod
    def _resource(shared: dict, slot_id: str, tail: str, start: str, end: str) -> dict:
        return {
            "resourceType": "Slot",
            "id": slot_id,
            "extension": [{"url": codes.BOOKING_DEEP_LINK, "valueUrl": shared["link"] + tail}, shared["phone"]],
            "serviceType": shared["serviceType"],
            "appointmentType": shared["appointmentType"],
            "schedule": shared["schedule"],
            "status": "free",
            "start": start,
            "end": end,
        }

    def _line_template(self, shared: dict) -> list[str]:
        """The resource's JSON cut at its four holes (id, the link's tail, start, end: in that order)."""
        holes = [f"{HOLE}{name}{HOLE}" for name in ("id", "tail", "start", "end")]
        text = json.dumps(self._resource(shared, *holes), separators=(",", ":"), ensure_ascii=False) + "\n"
        parts = []
        for hole in holes:
            before, _, text = text.partition(hole)
            parts.append(before)
        shared["line"] = [*parts, text]
        return shared["line"]

    def _template(self, s: Slot) -> dict:
        key = (s.visit_type_id, s.mode, s.clinician_id, s.location_id)
        found = self._shared.get(key)
        if found is None:
            name = self.names.get(s.visit_type_id, str(s.visit_type_id))
            link, pick = self._link(name, s)
            found = self._shared[key] = {
                "serviceType": [codes.service_type(s.visit_type_id, name)],
                "appointmentType": visit_mode(s.mode),
                "schedule": {"reference": f"Schedule/{schedule_id(s.clinician_id, s.location_id)}"},
                "phone": {"url": codes.BOOKING_PHONE, "valueString": self.phone},
                "link": link,
                "pick": pick,
                "id": SlotKey(s.clinician_id, s.location_id, s.visit_type_id, s.mode, s.start).id().rsplit(".", 1)[0]
                + ".",  # all but the UTC stamp
            }
        return found

    def _link(self, visit_name: str, s: Slot) -> tuple[str, bool]:
        """The find-care confirmation of this slot (its start appended), for a visit type patients book
        online; else the find-care page at that site and clinician (they book the rest by phone)."""
        need = NEED_BY_VISIT.get(visit_name)
        if need is None:
            return f"{self.find}?{urlencode({'mode': s.mode, 'site': s.location_id, 'seen_by': s.clinician_id})}", False
        params = CareQuery(need, s.mode, s.location_id).params() | {"clinician": s.clinician_id}
        return f"{self.confirm}?{urlencode(params | {'location': s.location_id})}&start=", True


def visit_mode(mode: str) -> dict:
    """Video visit or in person, as the Slot's `appointmentType` (a coding of ours: R4 has no virtual flag)."""
    text = codes.MODE_TEXT[mode]
    return {"coding": [{"system": codes.system(codes.MODE_SYSTEM_PATH), "code": mode, "display": text}], "text": text}


def builder(snap) -> SlotBuilder:
    """A SlotBuilder for this request, over the catalog `snap`."""
    return SlotBuilder(publish.visit_type_names(db.session, snap), snap.zones)
