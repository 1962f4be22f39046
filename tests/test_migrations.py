"""The migrations build exactly the tables the models describe, and can be undone (the rows
they keep: test_migrations_rows)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import devportal.models  # noqa: F401  (registers every table)
from devportal import migrate
from devportal.db import create_engine

T = TypeVar("T")


def on_database(url: str, work: Callable[[Connection], T]) -> T:
    """Run ``work`` on a connection of an async engine, as the app connects."""

    async def run() -> T:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def differences(connection: Connection) -> list[Any]:
    """What ``alembic revision --autogenerate`` would put in a new migration."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def tables(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def portal_name(connection: Connection) -> str | None:
    return connection.execute(sa.text("SELECT name FROM portal_settings")).scalar_one_or_none()


def head() -> str:
    heads = ScriptDirectory.from_config(migrate.alembic_config("unused")).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def test_migrations_match_the_models(database_url: str) -> None:
    assert on_database(database_url, current_revision) == head()
    assert on_database(database_url, differences) == []
    model_tables = set(SQLModel.metadata.tables)
    assert on_database(database_url, tables) == model_tables | {"alembic_version"}


def test_upgrading_an_up_to_date_database_changes_nothing(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert on_database(database_url, current_revision) == head()
    assert on_database(database_url, differences) == []


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    config = migrate.alembic_config(database_url)
    command.downgrade(config, "base")
    assert on_database(database_url, current_revision) is None
    assert on_database(database_url, tables) <= {"alembic_version"}

    command.upgrade(config, "head")
    assert on_database(database_url, current_revision) == head()
    assert on_database(database_url, differences) == []
    # The first migration seeds the portal's settings row; it is back.
    assert on_database(database_url, portal_name) == "Developer Portal"


def test_each_migration_can_be_undone_and_redone(database_url: str) -> None:
    """Step down one revision at a time from head, then back up one at a time."""
    config = migrate.alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    revisions = [revision.revision for revision in script.walk_revisions()]  # head first
    schemas: dict[str, set[str]] = {}
    for revision in revisions:
        assert on_database(database_url, current_revision) == revision
        schemas[revision] = on_database(database_url, tables)
        command.downgrade(config, "-1")
    assert on_database(database_url, current_revision) is None
    for revision in reversed(revisions):
        command.upgrade(config, "+1")
        assert on_database(database_url, current_revision) == revision
        assert on_database(database_url, tables) == schemas[revision]
    assert on_database(database_url, differences) == []
