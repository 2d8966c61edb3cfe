"""The JSON API under /api/v1."""

from televisit.web.api import appointments, audit, auth, catalog, cross_site, messaging, patients, slots, spec  # noqa: F401
from televisit.web.api.blueprint import bp

__all__ = ["bp"]
