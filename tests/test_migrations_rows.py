"""Migrations that rework tables keep every row: 0004 its keys and indexes (and ids are never
handed out twice), 0005 adds the event log and takes it away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import devportal.models  # noqa: F401  (registers every table)
from devportal import migrate
from tests.test_migrations import differences, on_database, tables

# Rows in every table of revision 0003, in SQL both databases take. Application 3, with
# its request and key, is deleted before the upgrade: SQLite without AUTOINCREMENT keeps
# no trace of those ids, so from there the migration can only go above the highest left.
ROWS_AT_0003 = """
INSERT INTO admin VALUES (1, 'root@portal.test', 'hash', '2026-01-01 00:00:00');
INSERT INTO developer VALUES
  (1, 'ada@example.com', 'Ada', NULL, 'hash', 'APPROVED', '2026-01-01 00:00:00',
   '2026-01-01 00:00:00'),
  (2, 'grace@example.com', 'Grace', 'Navy', 'hash', 'PENDING', '2026-01-01 00:00:00',
   '2026-01-02 00:00:00');
INSERT INTO auth_session VALUES
  (1, 'session-admin', 1, NULL, '2026-01-01 00:00:00', '2026-02-01 00:00:00'),
  (2, 'session-ada', NULL, 1, '2026-01-01 00:00:00', '2026-02-01 00:00:00');
INSERT INTO email_token VALUES
  (1, 'token-grace', 2, 'CONFIRM_EMAIL', '2026-01-01 00:00:00', '2026-01-03 00:00:00', NULL);
INSERT INTO outbox_message VALUES
  (1, 'ada@example.com', 'Hello', 'Body', 'SENT', 1, '2026-01-01 00:00:00', NULL,
   '2026-01-01 00:00:00', '2026-01-01 00:00:01'),
  (2, 'grace@example.com', 'Hello', 'Body', 'PENDING', 0, '2026-01-01 00:00:00', NULL,
   '2026-01-01 00:00:00', NULL);
INSERT INTO service VALUES
  (1, 'weather', 'Weather', '', true, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  (2, 'maps', 'Maps', 'Tiles', false, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO service_version VALUES
  (1, 1, 'v1', true, false, 'KEY_AUTH', '2026-01-01 00:00:00'),
  (2, 2, 'v2', true, true, 'KEY_AUTH', '2026-01-01 00:00:00');
INSERT INTO application VALUES
  (1, 1, 'Ada app', 'ada-1', NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  (2, 2, 'Grace app', 'grace-1', 'Hers', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  (3, 1, 'Ada other', 'ada-2', NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO registration VALUES
  (1, 1, 1, 'APPROVED', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  (2, 2, 1, 'PENDING', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  (3, 1, 2, 'REJECTED', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  (4, 3, 1, 'PENDING', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO credential VALUES
  (1, 1, 'hash-1', 'abcd', '2026-01-01 00:00:00', NULL),
  (2, 3, 'hash-2', 'efgh', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO throttle VALUES ('login:ada@example.com', '2026-01-01 00:00:00', 3);
"""
# A new row for some of the tables, referring to the rows above; {n} keeps it unique.
NEXT_ROWS = {
    "application": "INSERT INTO application (developer_id, name, reference_id, created_at, "
    "updated_at) VALUES (2, 'New', 'new-{n}', '2026-03-01 00:00:00', '2026-03-01 00:00:00')",
    "registration": "INSERT INTO registration (application_id, service_version_id, status, "
    "created_at, updated_at) VALUES (2, 2, 'PENDING', '2026-03-01 00:00:00', "
    "'2026-03-01 00:00:00')",
    "credential": "INSERT INTO credential (application_id, key_hash, key_prefix, created_at) "
    "VALUES (1, 'hash-new-{n}', 'ijkl', '2026-03-01 00:00:00')",
}


def insert_rows(connection: Connection) -> None:
    for statement in ROWS_AT_0003.split(";"):
        if statement.strip():
            connection.execute(sa.text(statement))
    if connection.dialect.name == "postgresql":
        # Where the app's own inserts would have left the sequences.
        for name in tables(connection) - {"alembic_version", "throttle"}:
            connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )
            )
    connection.execute(sa.text("DELETE FROM application WHERE id = 3"))
    connection.commit()


def rows(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    names = sorted(tables(connection) - {"alembic_version"})
    return {
        name: [
            tuple(row) for row in connection.execute(sa.text(f"SELECT * FROM {name} ORDER BY 1"))
        ]
        for name in names
    }


def schema(connection: Connection) -> dict[str, Any]:
    """Columns, keys, indexes and constraints as reflected, and PostgreSQL's sequences."""
    inspector = sa.inspect(connection)
    found: dict[str, Any] = {}
    for name in sorted(tables(connection)):
        columns = inspector.get_columns(name)
        found[name] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c["default"]) for c in columns],
            "primary key": inspector.get_pk_constraint(name),
            "foreign keys": sorted(map(repr, inspector.get_foreign_keys(name))),
            "indexes": sorted(map(repr, inspector.get_indexes(name))),
            "unique": sorted(map(repr, inspector.get_unique_constraints(name))),
        }
    if connection.dialect.name == "postgresql":
        sequences = connection.execute(sa.text("SELECT sequencename, last_value FROM pg_sequences"))
        found["sequences"] = sorted(map(tuple, sequences))
    return found


def insert_next(connection: Connection, table: str, unique: str) -> int:
    statement = NEXT_ROWS[table].format(n=unique) + " RETURNING id"
    new_id = int(connection.execute(sa.text(statement)).scalar_one())
    connection.commit()
    return new_id


def newest_ids_deleted(turn: int) -> Callable[[Connection], dict[str, list[int]]]:
    """Per table, the ids of two rows added one after the other, each deleted at once."""

    def work(connection: Connection) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for table in NEXT_ROWS:
            for attempt in range(2):
                new_id = insert_next(connection, table, f"{turn}-{attempt}")
                connection.execute(sa.text(f"DELETE FROM {table} WHERE id = {new_id}"))
                connection.commit()
                found.setdefault(table, []).append(new_id)
        return found

    return work


def foreign_key_problems(connection: Connection) -> list[Any]:
    problems: list[Any] = []
    if connection.dialect.name == "sqlite":
        problems += connection.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
    orphan = "INSERT INTO credential (application_id, key_hash, key_prefix, created_at) "
    orphan += "VALUES (99, 'orphan', 'mnop', '2026-03-01 00:00:00')"
    try:
        with connection.begin_nested():
            connection.execute(sa.text(orphan))
        problems.append("a key of no application was stored")
    except sa.exc.IntegrityError:
        pass
    connection.rollback()
    return problems


def delete_developers(connection: Connection) -> None:
    connection.execute(sa.text("DELETE FROM developer"))
    connection.commit()


def test_0004_keeps_every_row_key_and_index_and_ids_are_never_reused(database_url: str) -> None:
    """On SQLite, 0004 rebuilds every table with AUTOINCREMENT; on PostgreSQL it does nothing."""
    config = migrate.alembic_config(database_url)
    command.downgrade(config, "base")
    command.upgrade(config, "0003")
    on_database(database_url, insert_rows)
    rows_before = on_database(database_url, rows)
    schema_before = on_database(database_url, schema)
    assert len(rows_before["registration"]) == 3  # application 3's request went with it

    command.upgrade(config, "0004")
    assert on_database(database_url, rows) == rows_before
    assert on_database(database_url, schema) == schema_before
    assert on_database(database_url, foreign_key_problems) == []
    assert on_database(database_url, integer_ids_reused) == []

    # The newest row's id, once deleted, is not given to the next row.
    first = on_database(database_url, newest_ids_deleted(1))
    for table, (deleted, new) in first.items():
        assert new == deleted + 1, table
    # Nor after a downgrade and an upgrade again: the sequences are kept.
    command.downgrade(config, "0003")
    command.upgrade(config, "0004")
    again = on_database(database_url, newest_ids_deleted(2))
    for table, (deleted, new) in again.items():
        assert deleted == first[table][1] + 1, table
        assert new == deleted + 1, table
    # Deleting cascades as before.
    on_database(database_url, delete_developers)
    remaining = on_database(database_url, rows)
    assert all(not remaining[name] for name in ("application", "registration", "credential"))


def integer_ids_reused(connection: Connection) -> list[str]:
    """Tables whose integer id SQLite may hand out again (no AUTOINCREMENT)."""
    if connection.dialect.name != "sqlite":
        return []
    inspector = sa.inspect(connection)
    reused = []
    for name, sql in connection.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    ):
        key = inspector.get_pk_constraint(name)["constrained_columns"]
        types = {c["name"]: c["type"] for c in inspector.get_columns(name)}
        integer_id = len(key) == 1 and isinstance(types[key[0]], sa.Integer)
        if integer_id and "AUTOINCREMENT" not in sql.upper():
            reused.append(name)
    return reused


def test_no_table_hands_out_an_id_twice(database_url: str) -> None:
    assert on_database(database_url, integer_ids_reused) == []
    for table in SQLModel.metadata.sorted_tables:
        key = list(table.primary_key)
        if len(key) == 1 and isinstance(key[0].type, sa.Integer):
            assert table.dialect_kwargs.get("sqlite_autoincrement"), table.name


def log_events(connection: Connection) -> list[int]:
    """Two rows in the event log; their ids."""
    statement = sa.text(
        "INSERT INTO event_log (payload, created_at) VALUES ('[]', '2026-03-01 00:00:00') "
        "RETURNING id"
    )
    ids = [int(connection.execute(statement).scalar_one()) for _ in range(2)]
    connection.commit()
    return ids


def test_0005_adds_the_event_log_and_takes_it_away(database_url: str) -> None:
    config = migrate.alembic_config(database_url)
    command.downgrade(config, "0004")
    assert "event_log" not in on_database(database_url, tables)
    command.upgrade(config, "0005")
    first, second = on_database(database_url, log_events)
    assert second == first + 1
    assert on_database(database_url, integer_ids_reused) == []
    command.downgrade(config, "0004")
    assert "event_log" not in on_database(database_url, tables)
    command.upgrade(config, "head")
    assert on_database(database_url, differences) == []
