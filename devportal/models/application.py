"""Applications, with their registrations (access requests) and credentials (API keys)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, enum_column, utcnow


class RegistrationStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Application(SQLModel, table=True):
    __tablename__ = "application"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    developer_id: int = Field(foreign_key="developer.id", ondelete="CASCADE", index=True)
    # A team application: its team's members share it (a team holding any cannot go).
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    name: str = Field(max_length=200)
    reference_id: str = Field(max_length=100, unique=True)
    description: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Registration(SQLModel, table=True):
    """An application's access to one service version: one row per pair."""

    __tablename__ = "registration"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "service_version_id"),
        sa.Index("ix_registration_status_id", "status", "id"),
        IDS_NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", ondelete="CASCADE", index=True)
    service_version_id: int = Field(
        foreign_key="service_version.id", ondelete="CASCADE", index=True
    )
    status: RegistrationStatus = Field(
        default=RegistrationStatus.PENDING, sa_type=enum_column(RegistrationStatus)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    message: str | None = Field(default=None, sa_type=sa.Text)  # the developer's, for admins
    reason: str | None = Field(default=None, sa_type=sa.Text)  # an admin's, with a rejection
    # No foreign key (SQLite cannot add one to a table without rebuilding it):
    # removing an admin empties it (resolvers/accounts/admins.py).
    decided_by_id: int | None = Field(default=None, index=True)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Credential(SQLModel, table=True):
    """An API key: only its SHA-256 and first characters are kept."""

    __tablename__ = "credential"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", ondelete="CASCADE", index=True)
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # None: never expires. Indexed for the expiry warnings' scan.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Set when the expiry warning was claimed (or when rotation made the warning moot).
    expiry_warned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
