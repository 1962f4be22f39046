"""admin links: invitations and admins' password resets; the address an email change asks for

``admin_token`` holds the single-use links of admin accounts (only their
SHA-256): an invitation, to an address with no admin yet, and a password reset.
``email_token`` gains ``new_email``, the address a CHANGE_EMAIL link switches to.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import devportal.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "INVITATION",
                "RESET_PASSWORD",
                name="admintokenpurpose",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", devportal.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["admin_id"], ["admin.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_admin_token_admin_id", "admin_token", ["admin_id"])
    op.create_index("ix_admin_token_email", "admin_token", ["email"])
    with op.batch_alter_table("email_token", recreate="never") as batch:
        batch.add_column(
            sa.Column("new_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("email_token", recreate="never") as batch:
        batch.drop_column("new_email")
    op.drop_table("admin_token")
