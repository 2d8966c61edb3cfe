"""Clinician pages (/clinic): their day and week, a visit with the patient's answers, no-show and end visit
(confirmed first), the calendar link; and their private calendar feed."""

from televisit.web.clinic import schedule, visits  # noqa: F401  (each adds its routes)
from televisit.web.clinic.blueprint import bp

__all__ = ["bp"]
