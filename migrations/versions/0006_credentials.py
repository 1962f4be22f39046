"""credentials: named keys that expire, their expiry warning, a portal-wide lifetime limit

``credential`` gains ``name``, ``expires_at`` (indexed: housekeeping scans it for
keys about to expire) and ``expiry_warned_at`` (claimed once per key, whatever
the number of processes). ``portal_settings`` gains
``max_credential_lifetime_days``. Every new column is nullable: existing keys
keep no name and never expire, and the portal keeps no limit.

SQLite 3.35 and later add and drop columns in place: no table rebuild, so the
tables keep their AUTOINCREMENT (revision 0004).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import devportal.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = devportal.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("credential", sa.Column("name", sa.String(length=100), nullable=True))
    op.add_column("credential", sa.Column("expires_at", UTC_DATETIME, nullable=True))
    op.add_column("credential", sa.Column("expiry_warned_at", UTC_DATETIME, nullable=True))
    op.create_index("ix_credential_expires_at", "credential", ["expires_at"])
    op.add_column(
        "portal_settings", sa.Column("max_credential_lifetime_days", sa.Integer(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("portal_settings", "max_credential_lifetime_days")
    op.drop_index("ix_credential_expires_at", table_name="credential")
    op.drop_column("credential", "expiry_warned_at")
    op.drop_column("credential", "expires_at")
    op.drop_column("credential", "name")
