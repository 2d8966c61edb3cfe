"""Clinicians' specialties as people read them ("Neurosurgery"), from the keys the catalog stores. Pure."""

from __future__ import annotations

NAMES = {
    "neurosurgery": "Neurosurgery",
    "orthopaedic_spine_surgery": "Orthopaedic spine surgery",
    "radiation_oncology": "Radiation oncology",
    "medical_oncology": "Medical oncology",
    "neurology": "Neurology",
    "neuroradiology": "Neuroradiology",
    "pathology": "Pathology",
}


def specialty_name(key: str | None) -> str:
    """The specialty in words; an unlisted key reads as its words ('spine_oncology' -> 'Spine oncology')."""
    if not key:
        return ""
    return NAMES.get(key) or key.replace("_", " ").strip().capitalize()
