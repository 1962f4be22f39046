"""ids are never reused: SQLite tables rebuilt with AUTOINCREMENT

Without AUTOINCREMENT, SQLite gives a new row the highest id in its table plus
one, so after the newest row is deleted (an unregistered request, a revoked key)
the next row takes its id, and a global ID such as ``Registration:5`` held by a
client (an admin's open review page) names a different object. With
AUTOINCREMENT, SQLite keeps the highest id ever used in ``sqlite_sequence`` and
never goes below it.

SQLite cannot add AUTOINCREMENT to a table: each is rebuilt (alembic's batch
mode: a copy, with every row, index, unique and foreign key, then a rename),
with foreign keys off, since dropping a referenced table with them on would
delete its children through ON DELETE CASCADE. The copy sets each table's
sequence to its highest id; ids deleted from the top before this migration
left no trace and cannot be known. A table that already has AUTOINCREMENT
keeps its sequence, which may be higher than its highest row.

PostgreSQL: nothing to do, serial columns draw from sequences that never hand
out a value twice.

Downgrade is a no-op: the code of revision 0003 works the same on these tables,
and rebuilding them without AUTOINCREMENT would bring id reuse back and forget
the sequences.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table of revision 0003 with an integer id, parents before children.
TABLES = (
    "admin",
    "developer",
    "auth_session",
    "email_token",
    "outbox_message",
    "portal_settings",
    "service",
    "service_version",
    "application",
    "registration",
    "credential",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if op.get_context().as_sql:
        raise NotImplementedError("0004 reads the tables it rebuilds: run it online")
    with _foreign_keys_off(bind):
        for table in TABLES:
            if _has_autoincrement(bind, table):
                continue
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass
            _sequence_at_least_highest_id(bind, table)
        _check_foreign_keys(bind)


def downgrade() -> None:
    """Nothing: see the module's docstring."""


def _raw(bind: Connection, statement: str) -> list[tuple[object, ...]]:
    """Run ``statement`` on the driver's connection, past SQLAlchemy's transaction handling."""
    cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _foreign_keys_enabled(bind: Connection) -> bool:
    return bool(_raw(bind, "PRAGMA foreign_keys")[0][0])


@contextmanager
def _foreign_keys_off(bind: Connection) -> Iterator[None]:
    """Foreign keys off for the block, which runs in a transaction of its own.

    SQLite ignores ``PRAGMA foreign_keys`` inside a transaction, and alembic
    runs this migration in one (nothing is written in it before ``upgrade``):
    commit it, switch enforcement off, and begin again; at the end commit the
    rebuild, switch it back on, and leave a transaction open for alembic to
    record the revision in and commit, as it expects. (SQLAlchemy does not see
    these: it began its transaction with the engine's explicit BEGIN, and
    commits or rolls back whatever the connection is in when alembic ends it.)
    """
    if not bind.in_transaction():
        raise RuntimeError("0004 expects to run in alembic's transaction")
    _raw(bind, "COMMIT")
    _raw(bind, "PRAGMA foreign_keys=OFF")
    if _foreign_keys_enabled(bind):
        raise RuntimeError("could not turn SQLite's foreign keys off to rebuild the tables")
    _raw(bind, "BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        _raw(bind, "ROLLBACK")
        raise
    else:
        _raw(bind, "COMMIT")
    finally:
        _raw(bind, "PRAGMA foreign_keys=ON")
        _raw(bind, "BEGIN")
    if not _foreign_keys_enabled(bind):
        raise RuntimeError("could not turn SQLite's foreign keys back on")


def _has_autoincrement(bind: Connection, table: str) -> bool:
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    return "AUTOINCREMENT" in str(sql).upper()


def _sequence_at_least_highest_id(bind: Connection, table: str) -> None:
    """An empty table has no sequence row yet: SQLite adds one at the first insert."""
    highest = bind.execute(sa.text(f'SELECT max(id) FROM "{table}"')).scalar_one()  # noqa: S608
    if highest is None:
        return
    updated = bind.execute(
        sa.text("UPDATE sqlite_sequence SET seq = max(seq, :highest) WHERE name = :name"),
        {"highest": highest, "name": table},
    ).rowcount
    if not updated:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :highest)"),
            {"highest": highest, "name": table},
        )


def _check_foreign_keys(bind: Connection) -> None:
    broken = bind.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:10]}")
