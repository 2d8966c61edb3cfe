"""The schedulers' desk (/schedule): calendar, booking, availability, queues."""

from televisit.web.desk import availability, booking, calendar, queues  # noqa: F401  (each adds its routes)
from televisit.web.desk.blueprint import bp

__all__ = ["bp"]
