"""accounts, portal settings and the mail outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import devportal.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "developer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("organization", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "UNCONFIRMED",
                "PENDING",
                "APPROVED",
                "REJECTED",
                "REVOKED",
                name="developerstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("developer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_developer_status"), ["status"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDING", "SENT", "FAILED", name="mailstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", devportal.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_message_due", ["status", "next_attempt_at"], unique=False)

    portal_settings = op.create_table(
        "portal_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("auto_approve_developers", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(
        portal_settings,
        [{"id": 1, "name": "Developer Portal", "public": False, "auto_approve_developers": False}],
    )
    op.create_table(
        "auth_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("developer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["admin_id"], ["admin.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["developer_id"], ["developer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_session_admin_id"), ["admin_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_auth_session_developer_id"), ["developer_id"], unique=False
        )

    op.create_table(
        "email_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("developer_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "CONFIRM_EMAIL",
                "RESET_PASSWORD",
                name="emailtokenpurpose",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", devportal.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["developer_id"], ["developer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("email_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_token_developer_id"), ["developer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("email_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_token_developer_id"))

    op.drop_table("email_token")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_session_developer_id"))
        batch_op.drop_index(batch_op.f("ix_auth_session_admin_id"))

    op.drop_table("auth_session")
    op.drop_table("portal_settings")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_due")

    op.drop_table("outbox_message")
    with op.batch_alter_table("developer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_developer_status"))

    op.drop_table("developer")
    op.drop_table("admin")
