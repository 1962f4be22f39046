"""teams: developers share applications

``team``, ``team_member`` and ``team_invitation``, and ``application.team_id``
(null: the application belongs to its owner alone). A team holding
applications cannot be deleted (the key's default, NO ACTION, refuses it).

SQLite adds the column with its REFERENCES clause in place (allowed for a
column that defaults to NULL), so ``application`` is not rebuilt. Downgrade
there rebuilds it without the column, with foreign keys off as in 0004: with
them on, dropping the old table would delete its registrations and keys.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import devportal.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = sa.Enum("OWNER", "MEMBER", name="teamrole", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "team_member",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("developer_id", sa.Integer(), nullable=False),
        sa.Column("role", ROLE, nullable=False),
        sa.Column("joined_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["developer_id"], ["developer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "developer_id"),
    )
    op.create_index("ix_team_member_developer_id", "team_member", ["developer_id"])
    op.create_table(
        "team_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", ROLE, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", devportal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "email"),
        sa.UniqueConstraint("token_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_team_invitation_team_id", "team_invitation", ["team_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE application ADD COLUMN team_id INTEGER REFERENCES team (id)")
    else:
        op.add_column("application", sa.Column("team_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "application", "team", ["team_id"], ["id"])
    op.create_index("ix_application_team_id", "application", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_application_team_id", table_name="application")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _drop_team_id_on_sqlite()
    else:
        op.drop_column("application", "team_id")
    op.drop_index("ix_team_invitation_team_id", table_name="team_invitation")
    op.drop_table("team_invitation")
    op.drop_index("ix_team_member_developer_id", table_name="team_member")
    op.drop_table("team_member")
    op.drop_table("team")


def _drop_team_id_on_sqlite() -> None:
    """Rebuild ``application`` without the column, foreign keys off (see the docstring)."""
    bind = op.get_bind()
    cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("BEGIN IMMEDIATE")
        try:
            with op.batch_alter_table(
                "application", recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ) as batch:
                batch.drop_column("team_id")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
    finally:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("BEGIN")
        cursor.close()
