"""The FHIR facade's own rows (migration 0013): SMART Backend Services clients and the tokens issued to them.

A hold is not here: it is an appointment with status `pending` and `hold_expires_at` (models/appointment.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from televisit.models.base import Base, UTCDateTime


class FhirClient(Base):
    """A system-to-system client (an EHR) registered by an admin: its public keys (a JWKS), the scopes it may
    ask for (space-separated, e.g. `system/Slot.read system/Appointment.write`), and the service user it acts
    as (role scheduler, no password: audit and `created_by_user_id` name the client)."""

    __tablename__ = "fhir_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    jwks: Mapped[dict] = mapped_column(JSON)
    scopes: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    user = relationship("User", lazy="joined")


class FhirClientToken(Base):
    """An access token issued to a client: only its SHA-256 is stored, with the scopes granted and the
    assertion's `jti` (unique per client: a replayed assertion is refused)."""

    __tablename__ = "fhir_client_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("fhir_clients.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(Text)
    jti: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("client_id", "jti", name="uq_fhir_client_tokens_jti"),)
