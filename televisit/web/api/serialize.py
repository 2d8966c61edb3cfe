"""JSON shapes of the API (instants rendered in the requested zone, always with seconds and offset)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from televisit.domain.availability import Slot
from televisit.domain.timezones import format_hhmm, get_zone, render


def location_json(loc) -> dict:
    return {
        "id": loc.id,
        "name": loc.name,
        "city": loc.city,
        "region": loc.region,
        "country": loc.country,
        "timezone": loc.timezone,
    }


def visit_type_json(vt) -> dict:
    return {
        "id": vt.id,
        "name": vt.name,
        "duration_minutes": vt.duration_minutes,
        "modes": list(vt.modes),
        "buffer_before_minutes": vt.buffer_before_minutes,
        "buffer_after_minutes": vt.buffer_after_minutes,
        "min_notice_minutes": vt.min_notice_minutes,
        "max_advance_days": vt.max_advance_days,
    }


def clinician_json(c) -> dict:
    return {
        "id": c.id,
        "name": c.name,
        "specialty": c.specialty,
        "licenses": list(c.licenses or []),
        "visit_type_ids": sorted(vt.id for vt in c.visit_types),
        "location_ids": sorted({r.location_id for r in c.rules}),
    }


def rule_json(r) -> dict:
    return {
        "location_id": r.location_id,
        "weekday": r.weekday,
        "start": format_hhmm(r.start_minute),
        "end": format_hhmm(r.end_minute),
        "modes": list(r.modes),
    }


def time_off_json(off) -> dict:
    return {
        "id": off.id,
        "clinician_id": off.clinician_id,
        "start": render(off.start_at, get_zone("UTC")),
        "end": render(off.end_at, get_zone("UTC")),
        "location_id": off.location_id,
        "timezone": "UTC",
    }


def patient_json(p) -> dict:
    return {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "phone": p.phone,
        "timezone": p.timezone,
        "region": p.region,
        "sms_opt_in": p.sms_opt_in,
        "email_opt_in": p.email_opt_in,
    }


def slot_json(s: Slot, zone: ZoneInfo) -> dict:
    return {
        "clinician_id": s.clinician_id,
        "location_id": s.location_id,
        "visit_type_id": s.visit_type_id,
        "mode": s.mode,
        "start": render(s.start, zone),
        "end": render(s.end, zone),
    }


def appointment_json(a, zone: ZoneInfo | None = None) -> dict:
    """An appointment in `zone` (default: its location's zone)."""
    zone = zone or get_zone(a.site_timezone or a.location.timezone)
    utc = get_zone("UTC")
    return {
        "id": a.id,
        "status": a.status,
        "visit_type_id": a.visit_type_id,
        "clinician_id": a.clinician_id,
        "location_id": a.location_id,
        "mode": a.mode,
        "start": render(a.start_at, zone),
        "end": render(a.end_at, zone),
        "timezone": zone.key,
        "patient_id": a.patient_id,
        "patient_region": a.patient_region,
        "reason": a.reason,
        "sequence": a.sequence,
        "created_at": render(a.created_at, utc),
        "updated_at": render(a.updated_at, utc),
        # the virtual waiting room (additive; null until the step happens)
        "checked_in_at": _maybe(a.checked_in_at, zone),
        "admitted_at": _maybe(a.admitted_at, zone),
        "ended_at": _maybe(a.ended_at, zone),
    }


def _maybe(instant, zone: ZoneInfo) -> str | None:
    return render(instant, zone) if instant else None
