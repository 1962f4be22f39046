"""Accounts: admins, developers, their login sessions and email tokens."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, enum_column, utcnow


class DeveloperStatus(StrEnum):
    UNCONFIRMED = "UNCONFIRMED"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    REVOKED = "REVOKED"


class EmailTokenPurpose(StrEnum):
    CONFIRM_EMAIL = "CONFIRM_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"  # noqa: S105 - a purpose, not a password
    CHANGE_EMAIL = "CHANGE_EMAIL"


class AdminTokenPurpose(StrEnum):
    INVITATION = "INVITATION"
    RESET_PASSWORD = "RESET_PASSWORD"  # noqa: S105 - a purpose, not a password


class Admin(SQLModel, table=True):
    __tablename__ = "admin"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Developer(SQLModel, table=True):
    __tablename__ = "developer"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    full_name: str = Field(max_length=200)
    organization: str | None = Field(default=None, max_length=200)
    password_hash: str = Field(max_length=255)
    status: DeveloperStatus = Field(
        default=DeveloperStatus.UNCONFIRMED, sa_type=enum_column(DeveloperStatus), index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The last decision on the account: the reason goes with the status it came with.
    status_reason: str | None = Field(default=None, sa_type=sa.Text)
    # No foreign key (SQLite cannot add one to a table without rebuilding it):
    # removing an admin empties it (resolvers/accounts/admins.py).
    decided_by_id: int | None = Field(default=None, index=True)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_session"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    admin_id: int | None = Field(
        default=None, foreign_key="admin.id", ondelete="CASCADE", index=True
    )
    developer_id: int | None = Field(
        default=None, foreign_key="developer.id", ondelete="CASCADE", index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class EmailToken(SQLModel, table=True):
    """A single-use token sent by email; only its SHA-256 is stored."""

    __tablename__ = "email_token"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    developer_id: int = Field(foreign_key="developer.id", ondelete="CASCADE", index=True)
    purpose: EmailTokenPurpose = Field(sa_type=enum_column(EmailTokenPurpose))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    new_email: str | None = Field(default=None, max_length=320)  # CHANGE_EMAIL: the address


class AdminToken(SQLModel, table=True):
    """A single-use link for an admin account, only its SHA-256 stored: an invitation
    (to an address that has no admin yet) or a password reset (of ``admin_id``)."""

    __tablename__ = "admin_token"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: AdminTokenPurpose = Field(sa_type=enum_column(AdminTokenPurpose))
    email: str = Field(max_length=320, index=True)
    admin_id: int | None = Field(
        default=None, foreign_key="admin.id", ondelete="CASCADE", index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
