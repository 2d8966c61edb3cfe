"""Admin pages (/admin): locations and visit types, people, the audit trail."""

from televisit.web.admin import audit, catalog, people  # noqa: F401  (each adds its routes to the blueprint)
from televisit.web.admin.blueprint import bp

__all__ = ["bp"]
