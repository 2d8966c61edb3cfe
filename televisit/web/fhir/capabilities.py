"""What the facade supports, as data: the one place to change when a resource, search parameter or operation
is added. `GET /fhir/metadata` renders it as the CapabilityStatement, searches refuse parameters it does not
name (web/fhir/params.py), and tests/integration/test_fhir_metadata.py checks it against the routes served.
"""

from __future__ import annotations

from dataclasses import dataclass

READ, SEARCH = "read", "search-type"
IHE = "https://profiles.ihe.net/ITI/Scheduling"
IHE_SERVER = f"{IHE}/CapabilityStatement/IHE.Scheduling.server"
SMART_LINKS = "https://github.com/smart-on-fhir/smart-scheduling-links/blob/master/specification.md"
TOKEN_PATH = "auth/token"  # SMART Backend Services' token endpoint, under /fhir


@dataclass(frozen=True)
class Param:
    """A search parameter: its name, FHIR search type, and what it matches here."""

    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Operation:
    """An operation (`$name`): its canonical definition (a path is under our public URL), the HTTP methods
    that invoke it, and whether it changes anything (a `system/<Type>.write` scope)."""

    name: str
    definition: str
    doc: str
    methods: tuple[str, ...] = ("POST",)
    writes: bool = False


@dataclass(frozen=True)
class Supported:
    """A resource type served: its interactions, search parameters and type-level operations."""

    type: str
    doc: str
    params: tuple[Param, ...] = ()
    operations: tuple[Operation, ...] = ()
    interactions: tuple[str, ...] = (READ, SEARCH)


ID = Param("_id", "token", "The resource id.")
NAME = Param("name", "string", "A word of the name starts with it (case and accents aside).")
GENERAL_PARAMS = {
    "_count": Param("_count", "number", "Entries per page (default 50, at most 500)."),
    "_offset": Param("_offset", "number", "Entries to skip: the Bundle's next and previous links carry it."),
}
START = "date: ge, gt, le or lt and an instant with its offset (or a date)"

RESOURCES: tuple[Supported, ...] = (
    Supported("Location", "A clinic site; its IANA zone in the timezone extension.", (ID, NAME)),
    Supported("Practitioner", "A clinician (contact details are for staff, not published).", (ID, NAME)),
    Supported(
        "PractitionerRole",
        "A clinician's role: specialty, the sites where they hold clinics, the visit types they offer; id = the "
        "Practitioner's.",
        (
            ID,
            Param("practitioner", "reference", "Practitioner/<id>."),
            Param("specialty", "token", "A specialty code (or system|code)."),
            Param("location", "reference", "Location/<id>: a site where they hold clinics."),
            Param("service", "reference", "HealthcareService/<id>: a visit type they offer."),
        ),
    ),
    Supported(
        "HealthcareService",
        "A visit type: length, modes (video, in person), the sites where it is offered.",
        (ID, NAME, Param("location", "reference", "Location/<id>: a site where it is offered.")),
    ),
    Supported(
        "Schedule",
        "One clinician at one site (id <practitioner>.<location>): the visit types they offer there.",
        (
            ID,
            Param("actor", "reference", "Practitioner/<id> or Location/<id> (a bare id: either)."),
            Param("service-type", "token", "A visit type code (or system|code)."),
        ),
    ),
    Supported(
        "Slot",
        "A free time, computed by the same engine as /api/v1/slots; ids are stable while the slot exists.",
        (
            Param("schedule", "reference", "Schedule/<id>."),
            Param("start", "date", f"The slot's start, {START}."),
            Param("service-type", "token", "A visit type code (or system|code)."),
            Param("status", "token", "free: the slots served are free times."),
        ),
    ),
    Supported(
        "Appointment",
        "A visit, the same as in /api/v1; a patient sees only their own. IHE ITI Scheduling's operations.",
        (
            Param("patient", "reference", "Patient/<id>."),
            Param("date", "date", f"The visit's start, {START}."),
            Param("status", "token", "An appointment status."),
        ),
        (
            Operation("find", f"{IHE}/OperationDefinition/appointment-find", "Find potential appointments [ITI-115]."),
            Operation("hold", f"{IHE}/OperationDefinition/appointment-hold", "Hold one [ITI-116].", writes=True),
            Operation("book", f"{IHE}/OperationDefinition/appointment-book", "Book or cancel [ITI-117].", writes=True),
        ),
    ),
    Supported(
        "Patient",
        "Staff read and search (a clinician: the patients they treat); a patient reads only themself.",
        (
            ID,
            Param("identifier", "token", "The MRN (or <system>|<MRN>)."),
            NAME,
            Param("birthdate", "date", "The date of birth: [eq|ge|gt|le|lt]YYYY[-MM[-DD]]."),
            Param("phone", "token", "A phone number (E.164, or national)."),
            Param("email", "token", "An email address."),
        ),
    ),
)

SYSTEM_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "bulk-publish",
        "/fhir/OperationDefinition/bulk-publish",
        f"SMART Scheduling Links' manifest of Location, Schedule and Slot files (no token): {SMART_LINKS}",
        methods=("GET",),
    ),
)


def supported(resource_type: str) -> Supported | None:
    """The entry of a resource type, or None when the facade does not serve it."""
    return next((s for s in RESOURCES if s.type == resource_type), None)


def search_params(resource_type: str) -> dict[str, Param]:
    """The search parameters of a resource type, by name (without the general `_count` and `_offset`)."""
    entry = supported(resource_type)
    return {p.name: p for p in entry.params} if entry else {}


def scopes() -> list[str]:
    """The SMART system scopes that mean something here (v1 spelling)."""
    found = [f"system/{s.type}.read" for s in RESOURCES]
    return found + [f"system/{s.type}.write" for s in RESOURCES if any(op.writes for op in s.operations)]


def routes() -> set[tuple[str, str]]:
    """(method, path under /fhir with `{}` for an id) of every interaction the statement names."""
    found = {("GET", "metadata"), ("POST", TOKEN_PATH)}
    for s in RESOURCES:
        found |= {("GET", f"{s.type}/{{}}")} if READ in s.interactions else set()
        found |= {("GET", s.type)} if SEARCH in s.interactions else set()
        found |= {(m, f"{s.type}/${op.name}") for op in s.operations for m in op.methods}
    return found | {(m, f"${op.name}") for op in SYSTEM_OPERATIONS for m in op.methods}
