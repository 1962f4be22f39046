"""Another server process on PostgreSQL's event log, as test_event_log drives it: events
committed, held open or lost, listeners cut, and what the bus's observers are told."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from devportal.db import Database, queue_event
from devportal.events import DeveloperStatusChanged, Event, encode_all
from devportal.models import EventLogEntry
from tests.servers import GraphQLWebSocket

T = TypeVar("T")

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CUT_LISTENERS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE application_name = 'devportal-events' AND datname = current_database() "
    "AND pid <> pg_backend_pid()"
)


class OtherProcess:
    """What another server process does to the database, in this test's own event loop:
    it commits (or holds open) events through the real staging path."""

    def __init__(self, database_url: str) -> None:
        self._runner = asyncio.Runner()
        self.db = Database(database_url)
        self._held: AsyncSession | None = None

    def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        return self._runner.run(work())  # type: ignore[arg-type]

    def publish(self, *events: Event) -> None:
        """Commit ``events`` as a mutation does."""

        async def work() -> None:
            async with self.db.transaction() as session:
                for event in events:
                    queue_event(session, event)

        self._run(work)

    def hold(self, *events: Event, notify: bool = True) -> int:
        """Stage ``events`` in a transaction left open; the id its row drew. Without
        ``notify``, the row only: as if its notification were lost."""

        async def work() -> int:
            self._held = AsyncSession(self.db.engine)
            if notify:
                await self.db.bus.stage(self._held, events)
            else:
                self._held.add(EventLogEntry(payload=encode_all(events)))
                await self._held.flush()
            drawn = sa.text("SELECT currval(pg_get_serial_sequence('event_log', 'id'))")
            return int(await self._held.scalar(drawn) or 0)

        return self._run(work)

    def commit_held(self) -> None:
        async def work() -> None:
            assert self._held is not None
            await self._held.commit()
            await self._held.close()
            self._held = None

        self._run(work)

    def sql(self, statement: str) -> Any:
        """Run one statement and commit; the first row it answers, if any."""

        async def work() -> Any:
            async with self.db.engine.begin() as connection:
                result = await connection.execute(sa.text(statement))
                return result.first() if result.returns_rows else None

        return self._run(work)

    def newest_id(self) -> int:
        return int(self.sql("SELECT coalesce(max(id), 0) FROM event_log")[0])

    def close(self) -> None:
        async def work() -> None:
            if self._held is not None:
                await self._held.close()
            await self.db.dispose()

        self._run(work)
        self._runner.close()


@contextmanager
def refusing_new_connections(other: OtherProcess) -> Iterator[None]:
    """PostgreSQL refuses new connections to the database (the ones open stay): the
    server's listener cannot come back until the block ends."""
    name, limit, superuser = other.sql(
        "SELECT datname, datconnlimit, rolsuper FROM pg_database, pg_roles "
        "WHERE datname = current_database() AND rolname = current_user"
    )
    if superuser:
        pytest.skip("a superuser's connections are never refused")
    other.sql(f'ALTER DATABASE "{name}" CONNECTION LIMIT 0')
    try:
        yield
    finally:
        other.sql(f'ALTER DATABASE "{name}" CONNECTION LIMIT {limit}')


def status_changed(email: str, developer_id: int = 1000) -> DeveloperStatusChanged:
    return DeveloperStatusChanged(developer_id, "PENDING", NOW, email, "Someone", None, NOW)


def email_in(feed: GraphQLWebSocket) -> str:
    return str(feed.next_payload()["data"]["developerStatusChanged"]["email"])


class Heard:
    """An observer of the bus, as every cache is: what it was told, in order."""

    def __init__(self) -> None:
        self.told: list[object] = []

    def on_event(self, event: Event) -> None:
        if isinstance(event, DeveloperStatusChanged):
            self.told.append(event.email)

    def on_hearing(self, hearing: bool) -> None:
        self.told.append(hearing)
