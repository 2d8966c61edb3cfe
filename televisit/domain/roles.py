"""Roles a user can hold."""

ADMIN, SCHEDULER, CLINICIAN, PATIENT = "admin", "scheduler", "clinician", "patient"
ROLES = (ADMIN, SCHEDULER, CLINICIAN, PATIENT)
STAFF = (ADMIN, SCHEDULER, CLINICIAN)
BOOKERS = (ADMIN, SCHEDULER)


from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class Actor:
    """Who is acting: enough for every authorization decision, nothing framework-specific."""

    user_id: int
    role: str
    patient_id: int | None = None
    clinician_id: int | None = None

    @property
    def is_booker(self) -> bool:
        return self.role in BOOKERS

    def may_see(self, patient_id: int, clinician_id: int, attending=()) -> bool:
        """Object-level rule: bookers see all; a clinician the visits they attend (`attending`: every attending
        clinician of a joint visit); a patient their own."""
        if self.is_booker:
            return True
        if self.role == CLINICIAN:
            return self.clinician_id is not None and (
                self.clinician_id == clinician_id or self.clinician_id in attending
            )
        return self.role == PATIENT and self.patient_id == patient_id
