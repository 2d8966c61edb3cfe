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
        "resource_kinds": list(vt.resource_kinds or []),
        "team_specialties": list(vt.team_specialties or []),
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
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
        "mrn": p.mrn,
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
        "clinician_ids": list(s.attending),
        "resource_ids": list(s.resource_ids),
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
        # care as the program gives it: a joint visit's clinicians, what it holds, its clinic day or course
        "clinician_ids": a.attending_ids,
        "resource_ids": a.held_resource_ids,
        "itinerary_id": a.itinerary_id,
        "course_id": a.course_id,
    }


def _maybe(instant, zone: ZoneInfo) -> str | None:
    return render(instant, zone) if instant else None


def resource_json(r) -> dict:
    return {"id": r.id, "name": r.name, "kind": r.kind, "location_id": r.location_id}


def resource_hours_json(rule) -> dict:
    return {"weekday": rule.weekday, "start": format_hhmm(rule.start_minute), "end": format_hhmm(rule.end_minute)}


def resource_time_off_json(off) -> dict:
    utc = get_zone("UTC")
    return {
        "id": off.id,
        "resource_id": off.resource_id,
        "start": render(off.start_at, utc),
        "end": render(off.end_at, utc),
        "timezone": "UTC",
        "reason": off.reason,
    }


def pathway_json(p) -> dict:
    return {
        "id": p.id,
        "name": p.name,
        "steps": [{"visit_type_id": s["visit_type_id"], "mode": s.get("mode")} for s in p.steps],
        "min_gap_minutes": p.min_gap_minutes,
        "max_gap_minutes": p.max_gap_minutes,
        "self_bookable": p.self_bookable,
        "description": p.description,
    }


def itinerary_json(it, appointments, zone: ZoneInfo | None = None) -> dict:
    return {
        "id": it.id,
        "pathway_id": it.pathway_id,
        "patient_id": it.patient_id,
        "status": it.status,
        "sequence": it.sequence,
        "appointments": [appointment_json(a, zone) for a in appointments],
    }


def course_json(c, appointments, zone: ZoneInfo | None = None) -> dict:
    return {
        "id": c.id,
        "status": c.status,
        "patient_id": c.patient_id,
        "visit_type_id": c.visit_type_id,
        "clinician_id": c.clinician_id,
        "location_id": c.location_id,
        "count": c.count,
        "pattern": c.pattern,
        "appointments": [appointment_json(a, zone) for a in appointments],
    }
