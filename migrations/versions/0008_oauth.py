"""oauth: client credentials of applications, and the keys that sign access tokens

``client_credential``: a client ID and the SHA-256 of its secret per row, with a
name, an expiry and its warning, like ``credential``. ``signing_key``: the
asymmetric keys of ``POST /oauth/token`` (private half as PKCS #8 PEM, encrypted
when ``DEVPORTAL_SIGNING_KEY_PASSPHRASE`` is set; public half as a JWK). New
tables: AUTOINCREMENT is given at creation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import devportal.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = devportal.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "client_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_used_at", UTC_DATETIME, nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=True),
        sa.Column("expiry_warned_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_client_credential_application_id", "client_credential", ["application_id"])
    op.create_index("ix_client_credential_expires_at", "client_credential", ["expires_at"])
    op.create_table(
        "signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("retired_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("signing_key")
    op.drop_index("ix_client_credential_expires_at", table_name="client_credential")
    op.drop_index("ix_client_credential_application_id", table_name="client_credential")
    op.drop_table("client_credential")
