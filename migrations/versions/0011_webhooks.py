"""webhooks: endpoints, and an outbox of deliveries written with the change

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import devportal.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_TYPES = (
    "DEVELOPER_SIGNED_UP",
    "DEVELOPER_STATUS_CHANGED",
    "REGISTRATION_CREATED",
    "REGISTRATION_APPROVED",
    "REGISTRATION_REJECTED",
    "REGISTRATION_UNREGISTERED",
    "REGISTRATION_DELETED",
    "CREDENTIAL_CREATED",
    "CREDENTIAL_REVOKED",
    "CREDENTIAL_EXPIRING",
)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _time() -> devportal.models.base.UTCDateTime:
    return devportal.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", _text(2000), nullable=False),
        sa.Column("events", _text(500), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("description", _text(2000), nullable=True),
        sa.Column("secret", _text(100), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_enabled", "webhook", ["enabled"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(*EVENT_TYPES, name="webhookeventtype", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("event_id", _text(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "DELIVERED",
                "FAILED",
                name="deliverystatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("last_error", _text(300), nullable=True),
        sa.Column("next_attempt_at", _time(), nullable=True),
        sa.Column("claimed_until", _time(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("delivered_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhook.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_delivery_webhook", "webhook_delivery", ["webhook_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook")
