"""Clinician pages (/clinic) and their private calendar feed."""
