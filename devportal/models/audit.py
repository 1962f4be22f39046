"""The audit log: who did what to what, kept after its actor and subject are gone."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, enum_column, utcnow


class AuditAction(StrEnum):
    DEVELOPER_SIGNED_UP = "DEVELOPER_SIGNED_UP"
    DEVELOPER_APPROVED = "DEVELOPER_APPROVED"
    DEVELOPER_REJECTED = "DEVELOPER_REJECTED"
    DEVELOPER_REVOKED = "DEVELOPER_REVOKED"
    DEVELOPER_DELETED = "DEVELOPER_DELETED"
    REGISTRATION_REQUESTED = "REGISTRATION_REQUESTED"
    REGISTRATION_APPROVED = "REGISTRATION_APPROVED"
    REGISTRATION_REJECTED = "REGISTRATION_REJECTED"
    REGISTRATION_UNREGISTERED = "REGISTRATION_UNREGISTERED"
    REGISTRATION_DELETED = "REGISTRATION_DELETED"
    CREDENTIAL_CREATED = "CREDENTIAL_CREATED"
    CREDENTIAL_REVOKED = "CREDENTIAL_REVOKED"
    SERVICE_CREATED = "SERVICE_CREATED"
    SERVICE_UPDATED = "SERVICE_UPDATED"
    SERVICE_PUBLISHED = "SERVICE_PUBLISHED"
    SERVICE_UNPUBLISHED = "SERVICE_UNPUBLISHED"
    VERSION_CREATED = "VERSION_CREATED"
    VERSION_REGISTRATION_ENABLED = "VERSION_REGISTRATION_ENABLED"
    VERSION_REGISTRATION_DISABLED = "VERSION_REGISTRATION_DISABLED"
    PORTAL_SETTINGS_CHANGED = "PORTAL_SETTINGS_CHANGED"
    ADMIN_INVITED = "ADMIN_INVITED"
    ADMIN_JOINED = "ADMIN_JOINED"
    ADMIN_REMOVED = "ADMIN_REMOVED"


class AuditEntry(SQLModel, table=True):
    """One change. The actor's foreign keys empty themselves when the account goes; the
    subject is a (type, id) pair with no foreign key, so the entry outlives it."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_subject", "subject_type", "subject_id"),
        IDS_NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    action: AuditAction = Field(sa_type=enum_column(AuditAction, length=40), index=True)
    actor_admin_id: int | None = Field(
        default=None, foreign_key="admin.id", ondelete="SET NULL", index=True
    )
    actor_developer_id: int | None = Field(
        default=None, foreign_key="developer.id", ondelete="SET NULL", index=True
    )
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: int | None = Field(default=None)
    summary: str = Field(sa_type=sa.Text)
