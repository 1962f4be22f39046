"""Engine, sessions, and the one-transaction-per-mutation rule.

``Database.transaction()`` is the only way a mutation writes: the work inside it
commits or rolls back as a whole, and what it queued (events, mail) is handed on
only once the commit has succeeded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

from devportal.events import Event, InProcessBus, TablesChanged, bus_for
from devportal.models import Credential

SQLITE_BEGIN = "devportal_sqlite_begin"


@dataclass
class _AfterCommit:
    events: list[Event] = field(default_factory=list)
    mail_queued: bool = False
    webhooks_queued: bool = False
    tables: set[str] = field(default_factory=set)
    keys_added: list[str] = field(default_factory=list)

    def all_events(self) -> list[Event]:
        """What the transaction queued, and last which tables it wrote (for caches)."""
        if not self.tables:
            return self.events
        changed = TablesChanged(tuple(sorted(self.tables)), tuple(self.keys_added))
        return [*self.events, changed]


def _after_commit(session: AsyncSession) -> _AfterCommit:
    pending = session.info.get("after_commit")
    if pending is None:
        pending = session.info["after_commit"] = _AfterCommit()
    assert isinstance(pending, _AfterCommit)
    return pending


def queue_event(session: AsyncSession, event: Event) -> None:
    """Publish ``event`` once the session's transaction commits."""
    _after_commit(session).events.append(event)


def mark_mail_queued(session: AsyncSession) -> None:
    """Wake the mail worker once the session's transaction commits."""
    _after_commit(session).mail_queued = True


def mark_webhooks_queued(session: AsyncSession) -> None:
    """Wake the webhook worker once the session's transaction commits."""
    _after_commit(session).webhooks_queued = True


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _tune_sqlite(engine: AsyncEngine) -> None:
    """Foreign keys on, WAL, Unicode lower(), and explicit BEGIN so writers lock up front.

    pysqlite's own transaction handling starts transactions lazily, so two
    writers that both read first deadlock and one fails with "database is
    locked"; ``BEGIN IMMEDIATE`` on write transactions makes the second wait.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # SQLite's own lower() knows only ASCII; case-insensitive search needs Unicode.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class WriteSession(Session):
    """A write transaction's session: it notes every table it writes.

    Rows flushed through the unit of work and UPDATE/DELETE/INSERT statements
    alike, so a cache can be emptied by the change without any mutation having
    to remember to say so.
    """


@event.listens_for(WriteSession, "after_flush")
def _note_flushed_rows(session: Session, _context: Any) -> None:
    pending = session.info.setdefault("after_commit", _AfterCommit())
    for row in (*session.new, *session.dirty, *session.deleted):
        pending.tables.add(row.__table__.name)
    pending.keys_added.extend(row.key_hash for row in session.new if isinstance(row, Credential))


@event.listens_for(WriteSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if isinstance(table, sa.Table):
            pending = state.session.info.setdefault("after_commit", _AfterCommit())
            pending.tables.add(state.execution_options.get(ANNOUNCE_AS, table.name))


ANNOUNCE_AS = "devportal_announce_as"
"""An execution option: the name a statement's write is announced under, for a write
that only some caches of its table care about (``lastUsedAt``: not the gateway's)."""


class ReadSession(AsyncSession):
    """A session that several resolvers of one operation may use at once.

    GraphQL resolves sibling fields (and DataLoader batches) concurrently, and an
    AsyncSession must not be used by two tasks at a time; this one takes turns.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn:
            return await super().get(*args, **kwargs)

    async def close(self) -> None:
        async with self._turn:
            await super().close()


class Database:
    """The engine, a session factory for reads, and transactions for writes."""

    def __init__(
        self,
        url: str,
        *,
        subscriber_queue: int = 100,
        event_gap_seconds: float = 60.0,
        event_log_keep_seconds: float = 3600.0,
    ) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.bus: InProcessBus = bus_for(
            url,
            subscriber_queue,
            gap_seconds=event_gap_seconds,
            keep_seconds=event_log_keep_seconds,
        )
        self.mail_queued = asyncio.Event()
        self.webhooks_queued = asyncio.Event()
        self._reads = async_sessionmaker(self.engine, class_=ReadSession, expire_on_commit=False)
        self._writer = self.engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        self._writes = async_sessionmaker(
            self._writer, expire_on_commit=False, sync_session_class=WriteSession
        )

    def session(self) -> AsyncSession:
        """A session for reading, safe to share between concurrent resolvers."""
        return self._reads()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any exception."""
        async with self._writes() as session:
            async with session.begin():
                yield session
                await session.flush()
                events = _after_commit(session).all_events()
                if events:
                    await self.bus.stage(session, events)
            if events:
                self.bus.committed(events)
            pending = _after_commit(session)
            if pending.mail_queued:
                self.mail_queued.set()
            if pending.webhooks_queued:
                self.webhooks_queued.set()

    async def dispose(self) -> None:
        await self.engine.dispose()


async def execute_update(session: AsyncSession, statement: Any) -> int:
    """Run an UPDATE or DELETE and say how many rows it touched (for conditional updates)."""
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0))
