"""The program's directory as a whole: sites, visit types, clinicians, and what each clinician offers at each
site (the FHIR facade's Location, HealthcareService, Practitioner, PractitionerRole and Schedule).

The catalog is small (a few sites, tens of clinicians), so it is read whole, once per request, and the
searches filter it in memory: one code path for a read and a search, and no query per parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.orm import Session

from televisit.domain.identity import fold
from televisit.models import Clinician, Location, VisitType
from televisit.services import catalog

T = TypeVar("T")


@dataclass(frozen=True)
class Offer:
    """What one clinician offers at one site where they have weekly rules: the visit types they may lead there
    (a mode of the visit meets a mode of a rule there; a joint visit only by a clinician of its first specialty)."""

    clinician: Clinician
    location: Location
    visit_types: tuple[VisitType, ...]

    @property
    def horizon_days(self) -> int | None:
        """How far ahead the visits offered here can be booked (the longest; None when none is offered)."""
        return max((vt.max_advance_days for vt in self.visit_types), default=None)


@dataclass(frozen=True)
class Directory:
    """The catalog read whole, in id order."""

    locations: tuple[Location, ...]
    visit_types: tuple[VisitType, ...]
    clinicians: tuple[Clinician, ...]
    offers: tuple[Offer, ...]  # by clinician, then site
    index: dict[tuple[type, int], object] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        for item in (*self.locations, *self.visit_types, *self.clinicians):
            self.index[(type(item), item.id)] = item

    def get(self, kind: type, item_id: int):
        """The Location, VisitType or Clinician with this id, or None."""
        return self.index.get((kind, item_id))

    def offer(self, clinician_id: int, location_id: int) -> Offer | None:
        """What the clinician offers at the site (None: they have no rules there)."""
        return next((o for o in self.offers if (o.clinician.id, o.location.id) == (clinician_id, location_id)), None)

    def sites_of(self, clinician_id: int) -> list[Location]:
        """The sites where the clinician has weekly rules."""
        return [o.location for o in self.offers if o.clinician.id == clinician_id]

    def sites_offering(self, visit_type_id: int) -> list[Location]:
        """The sites where some clinician offers the visit type, in id order."""
        found = {o.location.id: o.location for o in self.offers if any(vt.id == visit_type_id for vt in o.visit_types)}
        return [found[k] for k in sorted(found)]


def load(session: Session) -> Directory:
    """The directory as the catalog stands now."""
    clinicians = tuple(catalog.list_clinicians(session))
    locations = tuple(catalog.list_locations(session))
    sites = {loc.id: loc for loc in locations}
    offers = tuple(offer for c in clinicians for offer in _offers(c, sites))
    return Directory(locations, tuple(catalog.list_visit_types(session)), clinicians, offers)


def _offers(c: Clinician, sites: dict[int, Location]) -> list[Offer]:
    modes: dict[int, set[str]] = {}
    for rule in c.rules:
        modes.setdefault(rule.location_id, set()).update(rule.modes)
    return [Offer(c, sites[loc_id], _led_there(c, modes[loc_id])) for loc_id in sorted(modes)]


def _led_there(c: Clinician, modes: set[str]) -> tuple[VisitType, ...]:
    offered = sorted(c.visit_types, key=lambda vt: vt.id)
    return tuple(
        vt
        for vt in offered
        if set(vt.modes) & modes and (not vt.team_specialties or vt.team_specialties[0] == c.specialty)
    )


def name_matches(name: str, query: str) -> bool:
    """FHIR string search: some word of `name` starts with `query` (case and accents aside)."""
    wanted = fold(query)
    return bool(wanted) and f" {wanted}" in f" {fold(name)}"


def select(items: Iterable[T], tests: Iterable[Callable[[T], bool]]) -> list[T]:
    """The items every test accepts (a search's parameters are ANDed)."""
    tests = list(tests)
    return [item for item in items if all(test(item) for test in tests)]
