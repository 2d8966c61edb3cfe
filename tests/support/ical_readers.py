"""Two independent iCalendar readers for tests: vobject (Python) and ical.js (node, tests/support/icaljs_parse.mjs).

Each returns the file's METHOD and, per VEVENT, the UTC instants the reader resolves, so tests can compare
them with what the database holds. vobject is read twice over: `start`/`end` are what a vobject user gets
(vobject falls back to pytz for a TZID whose VTIMEZONE it ignores: it treats a zone that had no offset
change in 2000-2020 as UTC), `zoned_start`/`zoned_end` put the same wall time on the file's own VTIMEZONE
as vobject parses it (dateutil's tzical), so a missing or wrong VTIMEZONE cannot hide behind pytz.
vobject also caches the first VTIMEZONE it sees per TZID for the whole process; each read here starts clean.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import vobject

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("icaljs_parse.mjs")
_REGISTRY = vobject.icalendar.__dict__["__tzidMap"]  # vobject's process-wide TZID -> tzinfo cache


def _text(ics: bytes | str) -> str:
    return ics.decode() if isinstance(ics, bytes) else ics


def vobject_calendar(ics: bytes | str):
    """vobject's parse of `ics`, with no VTIMEZONE remembered from earlier files."""
    saved = dict(_REGISTRY)
    for tzid in [k for k in _REGISTRY if k != "UTC"]:
        del _REGISTRY[tzid]
    try:
        return vobject.readOne(_text(ics))
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)


def iso_z(instant: datetime) -> str:
    """An aware instant as the readers report it: '2027-03-15T13:00:00Z'."""
    return instant.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _on_file_zone(prop, zones: dict) -> str:
    """The property's wall time on the file's VTIMEZONE for its TZID (UTC values pass through)."""
    tzid = (prop.params.get("X-VOBJ-ORIGINAL-TZID") or [None])[0]
    if tzid is None:
        return iso_z(prop.value)
    assert tzid in zones, f"no VTIMEZONE for TZID {tzid!r} in the file"
    return iso_z(prop.value.replace(tzinfo=zones[tzid]))


def vobject_read(ics: bytes | str) -> dict:
    """{"method", "events": [{"uid", "sequence", "status", "start", "end", "zoned_start", "zoned_end"}]}."""
    cal = vobject_calendar(ics)
    zones = {z.tzid.value: z.gettzinfo() for z in getattr(cal, "vtimezone_list", [])}
    events = []
    for ev in getattr(cal, "vevent_list", []):
        events.append(
            {
                "uid": ev.uid.value,
                "sequence": int(ev.sequence.value) if hasattr(ev, "sequence") else None,
                "status": ev.status.value if hasattr(ev, "status") else None,
                "start": iso_z(ev.dtstart.value),
                "end": iso_z(ev.dtend.value),
                "zoned_start": _on_file_zone(ev.dtstart, zones),
                "zoned_end": _on_file_zone(ev.dtend, zones),
            }
        )
    return {"method": cal.method.value if hasattr(cal, "method") else None, "events": events}


def icaljs_read(ics: bytes | str) -> dict:
    """The same summary as ical.js reads it (node runs with TZ=UTC, so a floating time cannot pass as right)."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        raise RuntimeError("node and node_modules/ical.js are required (run `make setup`)")
    env = {**os.environ, "TZ": "UTC"}
    out = subprocess.run(
        [node, str(SCRIPT)], input=_text(ics), capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    if out.returncode != 0:
        raise AssertionError(f"ical.js could not read the file: {out.stderr}")
    data = json.loads(out.stdout)
    for ev in data["events"]:
        ev["start"], ev["end"] = (ev[k].replace(".000Z", "Z") for k in ("start", "end"))
    return data
