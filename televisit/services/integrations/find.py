"""IHE ITI Scheduling's `$find`: the free slots that match a client's criteria, from the same engine as
`/api/v1/slots` (`booking.search`, DESIGN rule 5), so every proposed appointment can be held or booked.

Each criterion repeated is an OR (any of these practitioners, sites, visit types, specialties), different
criteria are an AND, as the operation defines. A practitioner matches a joint visit they attend, not only one
they lead. A `start` or `end` that is a date (no time) is a local day at each slot's own site; an instant
bounds the slot's start: `start <= slot start < end`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from televisit.domain.availability import Slot
from televisit.domain.errors import Invalid
from televisit.domain.timezones import UTC, get_zone, local_date
from televisit.models import Location
from televisit.services.booking import snapshot as catalog_snapshot
from televisit.services.booking.search import SlotQuery, search
from televisit.services.booking.snapshot import Snapshot

MAX_DAYS = 31  # one `$find` looks at most this far (a client pages through later windows)
Bound = datetime | date


@dataclass(frozen=True)
class FindQuery:
    """`$find`'s criteria; for each tuple, None means any and () means none could match."""

    start: Bound
    end: Bound
    visit_type_ids: tuple[int, ...] | None = None
    clinician_ids: tuple[int, ...] | None = None
    location_ids: tuple[int, ...] | None = None
    specialties: tuple[str, ...] | None = None
    location_texts: tuple[str, ...] = ()  # parts of a site's name or address (any matches)
    mode: str | None = None
    patient_region: str | None = None


def _as_instant(bound: Bound, *, end: bool) -> datetime:
    if isinstance(bound, datetime):
        return bound
    return datetime.combine(bound + timedelta(days=1 if end else 0), time(), tzinfo=UTC)


def _check_window(q: FindQuery) -> None:
    lo, hi = _as_instant(q.start, end=False), _as_instant(q.end, end=True)
    if hi <= lo:
        raise Invalid({"end": "must be after start"})
    if hi - lo > timedelta(days=MAX_DAYS, hours=1):
        raise Invalid({"end": f"at most {MAX_DAYS} days after start (ask again for later times)"})


def _search_days(q: FindQuery) -> tuple[date, date]:
    """UTC days that hold every slot of the window (a site's local day lies within its UTC day +- 1)."""
    first = q.start.astimezone(UTC).date() if isinstance(q.start, datetime) else q.start - timedelta(days=1)
    last = q.end.astimezone(UTC).date() if isinstance(q.end, datetime) else q.end + timedelta(days=1)
    return first, last


def _within(s: Slot, q: FindQuery, zones: dict[int, str]) -> bool:
    day = local_date(s.start, get_zone(zones[s.location_id]))
    after = s.start >= q.start if isinstance(q.start, datetime) else day >= q.start
    before = s.start < q.end if isinstance(q.end, datetime) else day <= q.end
    return after and before


def _matches(s: Slot, q: FindQuery, snap: Snapshot) -> bool:
    if q.clinician_ids is not None and not set(s.attending) & set(q.clinician_ids):
        return False
    if q.location_ids is not None and s.location_id not in q.location_ids:
        return False
    lead = snap.clinicians.get(s.clinician_id)
    return q.specialties is None or (lead is not None and lead.specialty in q.specialties)


def _only(values: tuple | None):
    return values[0] if values is not None and len(values) == 1 else None


def _sites(session: Session, q: FindQuery) -> FindQuery:
    """`q` with its location texts resolved to site ids (name, city, region or country containing one)."""
    if not q.location_texts:
        return q
    loc = Location
    cols = (loc.name, loc.city, loc.region, loc.country)
    hit = or_(*(func.lower(c).contains(text.lower(), autoescape=True) for text in q.location_texts for c in cols))
    found = set(session.scalars(select(loc.id).where(hit)))
    if q.location_ids is not None:
        found &= set(q.location_ids)
    return replace(q, location_ids=tuple(sorted(found)), location_texts=())


def find(session: Session, q: FindQuery, *, now: datetime) -> list[Slot]:
    """Every free slot matching `q`, by start (then clinician, site and mode)."""
    _check_window(q)
    q = _sites(session, q)
    if () in (q.visit_type_ids, q.clinician_ids, q.location_ids, q.specialties):
        return []  # a criterion that nothing here can meet
    snap = catalog_snapshot.current(session)
    first, last = _search_days(q)
    found: list[Slot] = []
    kinds = sorted(snap.visits) if q.visit_type_ids is None else [v for v in q.visit_type_ids if v in snap.visits]
    for visit_type_id in dict.fromkeys(kinds):
        lead_only = not snap.visits[visit_type_id].team  # a joint visit's other clinicians are no lead
        sq = SlotQuery(
            visit_type_id,
            first,
            last,
            UTC,
            location_id=_only(q.location_ids),
            clinician_id=_only(q.clinician_ids) if lead_only else None,
            mode=q.mode,
            patient_region=q.patient_region,
            specialty=_only(q.specialties),
        )
        slots = search(session, sq, now=now, snap=snap)
        found += [s for s in slots if _within(s, q, snap.zones) and _matches(s, q, snap)]
    found.sort(key=lambda s: (s.start, s.clinician_id, s.location_id, s.visit_type_id, s.mode))
    return found
