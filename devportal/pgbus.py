"""Events across server processes on PostgreSQL: a durable log, and NOTIFY to wake readers.

A write transaction inserts its events as one row of ``event_log`` and, in the same
statement, notifies the row's id (``stage``): the row exists exactly when the change
does, whatever its size (a NOTIFY payload holds at most 8000 bytes), and PostgreSQL
sends the notification only on commit. Every process holds one LISTEN connection and
reads, on that connection, the rows it has not seen yet: one query per wake-up,
whatever the number of subscribers, delivered in id order to subscribers and caches.

Ids are drawn as a transaction stages its events, just before it commits, so they
commit out of order: 10 may commit after 11. A reader that has read 11 awaits 10
(``LogCursor``) for ``gap_seconds``, asking for it at every wake-up and every second,
until it comes or the wait ends (an id drawn by a transaction whose commit then
failed never comes).

After a lost connection the process reads on from where it was, awaited ids included,
before it trusts its caches again. If it could not hear for longer than the log keeps
rows (``keep_seconds``), or missed more than ``CATCH_UP_ROWS`` transactions, it does
not replay: its subscribers are dropped as if they had fallen behind (they subscribe
again and refetch), and it reads on from the present.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from devportal.events import Event, InProcessBus, decode_all, encode_all
from devportal.models import EventLogEntry
from devportal.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("devportal.events")

CHANNEL = "devportal_events"
# How the listener shows in pg_stat_activity.
APPLICATION_NAME = "devportal-events"
# Ids one jump past the last read may leave awaited; far more than transactions in flight.
MAX_AWAITED = 1000

_LOG: sa.Table = EventLogEntry.__table__  # type: ignore[attr-defined]
_LOGGED = (
    sa.insert(_LOG)
    .values(
        payload=sa.bindparam("payload", type_=sa.Text()),
        created_at=sa.bindparam("at", type_=UTCDateTime()),
    )
    .returning(_LOG.c.id)
    .cte("logged")
)
# One round trip: the row, and its id as the wake-up (sent by PostgreSQL on commit).
_STAGE = sa.select(sa.func.pg_notify(CHANNEL, sa.cast(_LOGGED.c.id, sa.Text))).select_from(_LOGGED)
_READ = """
SELECT id, payload FROM event_log WHERE id > $1 OR id = ANY($2::bigint[]) ORDER BY id LIMIT $3
"""
# Where a process starts reading: after the newest row older than the wait for an id
# (older ids either committed or never will), with every row above it.
_RECENT = """
WITH floor AS (
  SELECT coalesce(
    (SELECT id FROM event_log WHERE created_at <= $1 ORDER BY id DESC LIMIT 1), 0) AS id
)
SELECT floor.id AS floor,
       array(SELECT e.id FROM event_log e WHERE e.id > floor.id ORDER BY e.id) AS ids
FROM floor
"""


class LogCursor:
    """What this process has read of the log: every id up to ``last``, but those awaited."""

    def __init__(self, gap_seconds: float) -> None:
        self.gap_seconds = gap_seconds
        self.last: int | None = None
        self._awaited: dict[int, float] = {}  # id -> when to stop waiting (monotonic)

    @property
    def awaiting(self) -> bool:
        return bool(self._awaited)

    def start(self, floor: int, ids: Iterable[int], now: float) -> None:
        """Read on from ``floor``; ``ids`` are the rows already above it (not delivered)."""
        self.last = floor
        self._awaited.clear()
        self.advance(ids, now)

    def wanted(self, now: float) -> list[int]:
        """The awaited ids still worth asking for; the others are given up."""
        expired = [i for i, until in self._awaited.items() if until <= now]
        for i in expired:
            del self._awaited[i]
        if expired:
            log.debug("event listener: gave up waiting for event ids %s", expired[:10])
        return sorted(self._awaited)

    def advance(self, ids: Iterable[int], now: float) -> None:
        """Note rows read, in id order: the ids skipped over are awaited."""
        assert self.last is not None
        for i in ids:
            if i > self.last:
                if i - self.last > MAX_AWAITED + 1:
                    log.warning("event listener: ids %d to %d skipped", self.last + 1, i - 1)
                for skipped in range(max(self.last + 1, i - MAX_AWAITED), i):
                    self._awaited[skipped] = now + self.gap_seconds
                self.last = i
            else:
                self._awaited.pop(i, None)

    def unread(self, notified: str) -> bool:
        """Whether the row a notification names may not have been read yet."""
        try:
            row_id = int(notified)
        except ValueError:
            return True
        return self.last is None or row_id > self.last or row_id in self._awaited


class PostgresBus(InProcessBus):
    """Events through the event log and NOTIFY/LISTEN: every server process sees every change."""

    RECONNECT_MAX_SECONDS = 30.0
    HEALTH_CHECK_SECONDS = 30.0
    AWAITED_POLL_SECONDS = 1.0
    START_WAIT_SECONDS = 10.0
    CATCH_UP_ROWS = 1000

    def __init__(
        self,
        database_url: str,
        max_queued: int = 100,
        *,
        gap_seconds: float = 60.0,
        keep_seconds: float = 3600.0,
    ) -> None:
        super().__init__(max_queued)
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self._cursor = LogCursor(gap_seconds)
        # Rows younger than this are surely still in the log (housekeeping prunes older).
        self._replayable = max(keep_seconds - gap_seconds, 0.0)
        self._heard_at: float | None = None  # when the connection last answered (monotonic)
        self._wake = asyncio.Event()
        self._notified: list[str] = []
        self.connection: asyncpg.Connection | None = None  # the listener's, while it holds

    async def stage(self, session: AsyncSession, events: Sequence[Event]) -> None:
        await session.execute(_STAGE, {"payload": encode_all(events), "at": utcnow()})

    @property
    def hearing(self) -> bool:
        return self.listening.is_set()

    @property
    def position(self) -> int | None:
        """The newest event-log id read (for the lag metric); None before the first read."""
        return self._cursor.last

    def committed(self, events: Sequence[Event]) -> None:
        """Caches here forget at once, so this process's next request sees the change.

        Subscribers hear the change from the log, like every other process's.
        """
        self._tell_observers(events)

    async def start(self) -> None:
        """Start listening; wait (a little) for it, so a fresh server misses no event."""
        self._task = asyncio.create_task(self._listen_forever(), name="devportal-event-listener")
        try:
            async with asyncio.timeout(self.START_WAIT_SECONDS):
                await self.listening.wait()
        except TimeoutError:
            log.warning("event listener: not connected yet; live updates wait for PostgreSQL")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})  # unlike awaiting it, lets our caller's cancel through

    async def _listen_forever(self) -> None:
        """Hold a LISTEN connection; when it drops, log it and connect again with back-off."""
        delay = first_delay = 0.5
        while True:
            reason: object = "closed"
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                reason = exc
            if self.listening.is_set():
                delay = first_delay  # it was listening: a new outage, not the same one
            log.warning(
                "event listener: connection to PostgreSQL lost (%s); retrying in %.1f s",
                reason,
                delay,
            )
            self._set_listening(False)
            await asyncio.sleep(delay)  # back-off before reconnecting
            delay = min(delay * 2, self.RECONNECT_MAX_SECONDS)

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": APPLICATION_NAME}
        )
        connection.add_termination_listener(lambda _conn: self._wake.set())
        try:
            await connection.add_listener(CHANNEL, self._on_notification)
            await self._catch_up(connection)
            self.connection = connection
            self._set_listening(True)
            log.info("event listener: listening on PostgreSQL channel %s", CHANNEL)
            while True:
                await self._next_wake_up(connection)
        finally:
            self.connection = None
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    async def _next_wake_up(self, connection: asyncpg.Connection) -> None:
        """Wait for a notification (or a while); read what is new, or check the link."""
        waiting = self._cursor.awaiting
        timeout = self.AWAITED_POLL_SECONDS if waiting else self.HEALTH_CHECK_SECONDS
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
            woken = True
        except TimeoutError:
            woken = False
        self._wake.clear()
        if connection.is_closed():
            raise OSError("listener connection closed")
        notified, self._notified = self._notified, []
        if waiting or any(self._cursor.unread(row_id) for row_id in notified):
            await self._read(connection)
        elif not woken:
            await connection.execute("SELECT 1")  # a dead link raises here
            self._heard_at = time.monotonic()

    async def _catch_up(self, connection: asyncpg.Connection) -> None:
        """Read what was missed while not listening, or start from now if that cannot be."""
        if self._cursor.last is not None:
            deaf = time.monotonic() - (self._heard_at or 0.0)
            if deaf > self._replayable:
                log.warning("event listener: deaf for %.0f s; subscribers start again", deaf)
            elif await self._read(connection, catching_up=True):
                return
            else:
                log.warning(
                    "event listener: missed over %d transactions; subscribers start again",
                    self.CATCH_UP_ROWS,
                )
        self.drop_subscribers()
        row = await connection.fetchrow(
            _RECENT, utcnow() - timedelta(seconds=self._cursor.gap_seconds)
        )
        self._heard_at = time.monotonic()
        self._cursor.start(row["floor"], row["ids"], self._heard_at)

    async def _read(self, connection: asyncpg.Connection, *, catching_up: bool = False) -> bool:
        """Deliver the rows not read yet, in id order. False: too many to catch up with."""
        while True:
            now = time.monotonic()
            rows = await connection.fetch(
                _READ, self._cursor.last, self._cursor.wanted(now), self.CATCH_UP_ROWS + 1
            )
            self._heard_at = time.monotonic()
            full = len(rows) > self.CATCH_UP_ROWS
            if catching_up and full:
                return False
            self._cursor.advance((row["id"] for row in rows), now)
            for row in rows:
                self._deliver_row(row["id"], row["payload"])
            if not full:
                return True

    def _deliver_row(self, row_id: int, payload: str) -> None:
        try:
            events = decode_all(payload)
        except (ValueError, KeyError, TypeError):
            log.error("event listener: ignored malformed event log row %d", row_id)
            return
        self.deliver(events)

    def _set_listening(self, listening: bool) -> None:
        if listening == self.listening.is_set():
            return
        if listening:
            self.listening.set()
        else:
            self.listening.clear()
        self._hearing_changed(listening)

    def _on_notification(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._notified.append(payload)
        self._wake.set()
