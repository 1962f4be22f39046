"""Webhooks: endpoints admins register, and the deliveries queued for them.

``webhook_delivery`` is an outbox, like ``outbox_message``: its rows are written in
the transaction that makes the change, so a rolled-back change sends nothing and a
committed one is delivered even if the process dies right after.
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, utcnow


class WebhookEventType(StrEnum):
    DEVELOPER_SIGNED_UP = "DEVELOPER_SIGNED_UP"
    DEVELOPER_STATUS_CHANGED = "DEVELOPER_STATUS_CHANGED"
    REGISTRATION_CREATED = "REGISTRATION_CREATED"
    REGISTRATION_APPROVED = "REGISTRATION_APPROVED"
    REGISTRATION_REJECTED = "REGISTRATION_REJECTED"
    REGISTRATION_UNREGISTERED = "REGISTRATION_UNREGISTERED"
    REGISTRATION_DELETED = "REGISTRATION_DELETED"
    CREDENTIAL_CREATED = "CREDENTIAL_CREATED"
    CREDENTIAL_REVOKED = "CREDENTIAL_REVOKED"
    CREDENTIAL_EXPIRING = "CREDENTIAL_EXPIRING"

    @property
    def wire_name(self) -> str:
        """The payload's ``type``: ``REGISTRATION_APPROVED`` is ``registration.approved``."""
        subject, _, change = self.value.lower().partition("_")
        return f"{subject}.{change}"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum,
        native_enum=False,
        length=40,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Webhook(SQLModel, table=True):
    """An endpoint. The signing secret is kept as it is: signing needs it (see README)."""

    __tablename__ = "webhook"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    # The event types it receives, comma-separated (WebhookEventType values).
    events: str = Field(max_length=500)
    enabled: bool = Field(default=True, index=True)
    description: str | None = Field(default=None, max_length=2000)
    secret: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def event_types(self) -> list[WebhookEventType]:
        return [WebhookEventType(name) for name in self.events.split(",") if name]


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint. ``event_id`` is the ``webhook-id`` header, the same
    on every attempt; ``payload`` is the exact body, so every attempt sends the same."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
        IDS_NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id", ondelete="CASCADE")
    event_type: WebhookEventType = Field(sa_type=_enum(WebhookEventType))
    event_id: str = Field(max_length=64)
    payload: str = Field(sa_type=sa.Text)
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=_enum(DeliveryStatus))
    attempts: int = 0
    response_status: int | None = None
    # Why the last attempt failed, in a few words (never the response's body).
    last_error: str | None = Field(default=None, max_length=300)
    next_attempt_at: datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A process sending it holds it until then; one that dies lets it go when it passes.
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
