"""Admin pages (/admin): locations and visit types, people, the audit trail; rooms and machines, site
closures and pathways; the FHIR API's clients."""

from televisit.web.admin import (  # noqa: F401  (each adds its routes to the blueprint)
    audit,
    boards,
    catalog,
    closures,
    fhir_clients,
    pathways,
    people,
    resources,
)
from televisit.web.admin.blueprint import bp

__all__ = ["bp"]
