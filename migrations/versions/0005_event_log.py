"""event log: events travel through a table, NOTIFY only wakes the readers

Until now each event's JSON went through ``pg_notify``, whose payload PostgreSQL
limits to 8000 bytes (an event naming an application with a long description
failed its whole mutation), and an event sent while a process's LISTEN
connection was down was lost to that process. Now a write transaction inserts
its events as one row of ``event_log`` and notifies the row's id; each process
reads the rows it has not seen, also after a reconnect. Housekeeping deletes
rows after ``DEVPORTAL_EVENT_LOG_KEEP_SECONDS``.

SQLite (one server process) never writes the table; it is created there too so
both databases have the same schema. A new table needs no rebuild: AUTOINCREMENT
is given at creation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import devportal.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("event_log")
