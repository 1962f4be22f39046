"""accounts: reasons and who decided, the developer's message, the audit log

Developers and registrations gain the reason of their status, the admin who
made the last decision (emptied when that admin is removed) and when; a
registration keeps the developer's message. ``audit_entry`` holds one row per
change; its subject is a (type, id) pair without a foreign key, so an entry
outlives what it names.

``decided_by_id`` has no foreign key: SQLite could add one only by rebuilding
the two tables (and dropping the column again likewise); removing an admin
empties the column instead. No table is rebuilt, on either database.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import devportal.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIDED = ("developer", "registration")


def upgrade() -> None:
    for table in DECIDED:
        reason = "status_reason" if table == "developer" else "reason"
        with op.batch_alter_table(table, recreate="never") as batch:
            if table == "registration":
                batch.add_column(sa.Column("message", sa.Text(), nullable=True))
            batch.add_column(sa.Column(reason, sa.Text(), nullable=True))
            batch.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
            batch.add_column(
                sa.Column(
                    "decided_at", devportal.models.base.UTCDateTime(timezone=True), nullable=True
                )
            )
        op.create_index(f"ix_{table}_decided_by_id", table, ["decided_by_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "action",
            sa.Enum(*ACTIONS, name="auditaction", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("actor_admin_id", sa.Integer(), nullable=True),
        sa.Column("actor_developer_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_admin_id"], ["admin.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["actor_developer_id"], ["developer.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_entry_action", "audit_entry", ["action"])
    op.create_index("ix_audit_entry_actor_admin_id", "audit_entry", ["actor_admin_id"])
    op.create_index("ix_audit_entry_actor_developer_id", "audit_entry", ["actor_developer_id"])
    op.create_index("ix_audit_entry_subject", "audit_entry", ["subject_type", "subject_id"])


def downgrade() -> None:
    op.drop_table("audit_entry")
    for table in reversed(DECIDED):
        op.drop_index(f"ix_{table}_decided_by_id", table_name=table)
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("decided_at")
            batch.drop_column("decided_by_id")
            batch.drop_column("status_reason" if table == "developer" else "reason")
            if table == "registration":
                batch.drop_column("message")


ACTIONS = (
    "DEVELOPER_SIGNED_UP",
    "DEVELOPER_APPROVED",
    "DEVELOPER_REJECTED",
    "DEVELOPER_REVOKED",
    "DEVELOPER_DELETED",
    "REGISTRATION_REQUESTED",
    "REGISTRATION_APPROVED",
    "REGISTRATION_REJECTED",
    "REGISTRATION_UNREGISTERED",
    "REGISTRATION_DELETED",
    "CREDENTIAL_CREATED",
    "CREDENTIAL_REVOKED",
    "SERVICE_CREATED",
    "SERVICE_UPDATED",
    "SERVICE_PUBLISHED",
    "SERVICE_UNPUBLISHED",
    "VERSION_CREATED",
    "VERSION_REGISTRATION_ENABLED",
    "VERSION_REGISTRATION_DISABLED",
    "PORTAL_SETTINGS_CHANGED",
    "ADMIN_INVITED",
    "ADMIN_JOINED",
    "ADMIN_REMOVED",
)
