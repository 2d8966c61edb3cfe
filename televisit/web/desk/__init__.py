"""The schedulers' desk (/schedule): calendar, booking, availability, queues; clinic days and courses."""

from televisit.web.desk import (  # noqa: F401  (each adds its routes)
    availability,
    booking,
    calendar,
    courses,
    days,
    grid,
    itinerary,
    patients,
    queues,
)
from televisit.web.desk.blueprint import bp

__all__ = ["bp"]
