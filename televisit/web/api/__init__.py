"""The JSON API under /api/v1."""

from televisit.web.api import (  # noqa: F401  (each adds its routes to the blueprint)
    appointments,
    audit,
    auth,
    boards,
    catalog,
    courses,
    cross_site,
    messaging,
    pathways,
    patients,
    resources,
    slots,
    spec,
)
from televisit.web.api.blueprint import bp

__all__ = ["bp"]
