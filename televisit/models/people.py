"""Patients, users (who signs in), their sign-in sessions, account links and API tokens."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from televisit.domain.identity import fold
from televisit.models.base import Base, UTCDateTime


class Patient(Base):
    """A patient record: who they are (name, date of birth, MRN), contact details, home zone and region,
    contact preferences."""

    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # The name as searches match it (case and accents ignored: televisit/domain/identity.py `fold`), kept in
    # step with `name` by the validator below, so a search is one LIKE on both databases.
    name_key: Mapped[str | None] = mapped_column(String(240), nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    mrn: Mapped[str | None] = mapped_column(String(20), nullable=True)  # unique when given (the index below)
    email: Mapped[str | None] = mapped_column(String(254), index=True, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True, nullable=True)  # E.164
    timezone: Mapped[str] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(8), nullable=True)
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    email_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)  # en-US (12-hour) / en-GB (24-hour)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # A unique index, not a table constraint: NULLs never collide in it (SQLite and PostgreSQL alike), so
        # any number of records may have no MRN; and SQLite adds it without rebuilding the table.
        Index("uq_patients_mrn", "mrn", unique=True),
        Index("ix_patients_born_name", "date_of_birth", "name_key"),  # likely duplicates: same name and birth date
    )

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = fold(name) if name else None
        return name


class User(Base):
    """Someone who signs in. A patient user *is* its patient record; a clinician user links by email."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinicians.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Sign-in lockout (services/auth.py): consecutive failures, and until when the account is locked.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Part of the session cookie's user id: raising it at sign-out invalidates every copy of old cookies.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the address was shown to be theirs (the emailed link, or a password reset); None: a sign-up that
    # has not confirmed yet, which cannot sign in. Users made by admins, the CLI and the seed start confirmed.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    patient = relationship("Patient", lazy="joined")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_epoch or 0}"


class ApiToken(Base):
    """A bearer token: only its SHA-256 is stored; it expires and can be revoked."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    user = relationship("User", lazy="joined")


class UserSession(Base):
    """One signed-in browser (services/sessions.py): the cookie carries a random key, only its SHA-256 is here.

    It ends after `TELEVISIT_SESSION_IDLE_MINUTES` without activity or `TELEVISIT_SESSION_MAX_HOURS` after
    sign-in, at sign-out, or when the password is reset.
    """

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)  # idle | lifetime | signed_out | reset


class AccountToken(Base):
    """What an emailed account link grants (services/accounts.py): confirm the address or set a new password.

    The link is this row's id signed with the app secret; the row makes it single-use and expiring.
    """

    __tablename__ = "account_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # confirm | reset
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
