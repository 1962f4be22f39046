"""Domain events and the bus that carries them to subscribers.

Events are queued on the session inside a mutation's transaction
(``devportal.db.queue_event``) and reach subscribers only after that
transaction commits; a rolled-back change publishes nothing.

Two back ends share one small interface: ``InProcessBus`` for a single server
process, and ``PostgresBus``, which sends each event with ``pg_notify`` inside
the transaction (PostgreSQL delivers notifications only on commit) and
receives them with ``LISTEN`` in every server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("devportal.events")

CHANNEL = "devportal_events"


@dataclass(frozen=True)
class DeveloperStatusChanged:
    """A developer as they are after the change: subscribers need no query to show them."""

    developer_id: int
    status: str
    at: datetime
    email: str = ""
    full_name: str = ""
    organization: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class SessionsEnded:
    """One session (log-out) or all of a developer's (password reset, revocation) ended."""

    token_digest: str | None = None
    developer_id: int | None = None


@dataclass(frozen=True)
class RegistrationChanged:
    """A registration as it is after the change (as it was just before, when it is gone).

    It carries its application too, so that it still reads right once the
    application has been deleted.
    """

    kind: str
    registration_id: int
    service_version_id: int
    status: str
    created_at: datetime
    updated_at: datetime
    at: datetime
    application_id: int
    developer_id: int
    application_name: str
    application_reference_id: str
    application_description: str | None
    application_created_at: datetime
    application_updated_at: datetime


@dataclass(frozen=True)
class TablesChanged:
    """A transaction wrote these tables: what caches of them hold may be stale.

    Queued by every write transaction itself (``devportal.db``), so no mutation can
    forget it. ``keys_added`` holds the digests of API keys it created: the
    gateway's index of known keys grows without a query.
    """

    tables: tuple[str, ...]
    keys_added: tuple[str, ...] = ()


Event = DeveloperStatusChanged | SessionsEnded | RegistrationChanged | TablesChanged
_EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (DeveloperStatusChanged, SessionsEnded, RegistrationChanged, TablesChanged)
}


class Observer(Protocol):
    """What a per-process cache hears: every event, and whether it can hear at all."""

    def on_event(self, event: Event) -> None: ...

    def on_hearing(self, hearing: bool) -> None:
        """False: events may be missed from now on, trust nothing cached. True: again."""


def encode(event: Event) -> str:
    fields = {
        f.name: (value.isoformat() if isinstance(value, datetime) else value)
        for f in dataclasses.fields(event)
        for value in [getattr(event, f.name)]
    }
    return json.dumps({"type": type(event).__name__, **fields})


def decode(payload: str) -> Event:
    data: dict[str, Any] = json.loads(payload)
    cls = _EVENT_TYPES[data.pop("type")]
    for f in dataclasses.fields(cls):
        if f.type in ("datetime", datetime) and data.get(f.name) is not None:
            data[f.name] = datetime.fromisoformat(data[f.name])
        elif isinstance(data.get(f.name), list):
            data[f.name] = tuple(data[f.name])
    return cls(**data)


class SubscriberOverflow(Exception):
    """A subscriber fell so far behind that its queue filled up; it is dropped."""


class Subscription:
    """One subscriber's bounded queue of events."""

    def __init__(self, max_queued: int, on_overflow: Callable[[], None] | None = None) -> None:
        self._queue: asyncio.Queue[Event | SubscriberOverflow] = asyncio.Queue()
        self._max = max_queued
        self._on_overflow = on_overflow
        self.overflowed = False

    def offer(self, event: Event) -> None:
        if self.overflowed:
            return
        if self._queue.qsize() >= self._max:
            self.overflowed = True
            self._queue.put_nowait(SubscriberOverflow("too many undelivered events"))
            if self._on_overflow is not None:
                self._on_overflow()
            return
        self._queue.put_nowait(event)

    async def next(self) -> Event:
        """The next event; raises SubscriberOverflow once the queue has overflowed."""
        item = await self._queue.get()
        if isinstance(item, SubscriberOverflow):
            raise item
        return item


class InProcessBus:
    """Delivers events to subscribers in this process only (one server, SQLite)."""

    def __init__(self, max_queued: int = 100) -> None:
        self._subscribers: set[Subscription] = set()
        self._observers: list[Observer] = []
        self.max_queued = max_queued

    @property
    def hearing(self) -> bool:
        """Whether every committed change reaches this process (always, in one process)."""
        return True

    def observe(self, observer: Observer) -> None:
        self._observers.append(observer)
        observer.on_hearing(self.hearing)

    async def stage(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Called inside the transaction, just before it commits."""

    def committed(self, events: Sequence[Event]) -> None:
        """Called once the transaction has committed."""
        self.deliver(events)

    def deliver(self, events: Sequence[Event]) -> None:
        self._tell_observers(events)
        for subscriber in list(self._subscribers):
            for event in events:
                if not isinstance(event, TablesChanged):
                    subscriber.offer(event)

    def _tell_observers(self, events: Sequence[Event]) -> None:
        for observer in self._observers:
            for event in events:
                observer.on_event(event)

    def _hearing_changed(self, hearing: bool) -> None:
        for observer in self._observers:
            observer.on_hearing(hearing)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, on_overflow: Callable[[], None] | None = None
    ) -> AsyncIterator[Subscription]:
        subscription = Subscription(self.max_queued, on_overflow)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class PostgresBus(InProcessBus):
    """Events through PostgreSQL NOTIFY/LISTEN, so every server process sees every change."""

    RECONNECT_MAX_SECONDS = 30.0
    HEALTH_CHECK_SECONDS = 30.0
    START_WAIT_SECONDS = 10.0

    def __init__(self, database_url: str, max_queued: int = 100) -> None:
        super().__init__(max_queued)
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def stage(self, session: AsyncSession, events: Sequence[Event]) -> None:
        for event in events:
            await session.execute(
                sa.text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": encode(event)},
            )

    @property
    def hearing(self) -> bool:
        return self.listening.is_set()

    def committed(self, events: Sequence[Event]) -> None:
        """Caches here forget at once, so this process's next request sees the change.

        Subscribers hear the change through LISTEN, like every other process's.
        """
        self._tell_observers(events)

    async def start(self) -> None:
        """Start listening; wait (a little) for it, so a fresh server misses no event."""
        self._task = asyncio.create_task(self._listen_forever(), name="devportal-event-listener")
        try:
            await asyncio.wait_for(self.listening.wait(), timeout=self.START_WAIT_SECONDS)
        except TimeoutError:
            log.warning("event listener: not connected yet; live updates wait for PostgreSQL")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen_forever(self) -> None:
        """Hold a LISTEN connection; when it drops, log it and connect again with back-off."""
        delay = 0.5
        while True:
            try:
                await self._listen_once()
                delay = 0.5
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("event listener: connection to PostgreSQL lost (%s); retrying", exc)
            self._set_listening(False)
            await asyncio.sleep(delay)  # back-off before reconnecting
            delay = min(delay * 2, self.RECONNECT_MAX_SECONDS)

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _conn: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._on_notification)
            self._set_listening(True)
            log.info("event listener: listening on PostgreSQL channel %s", CHANNEL)
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), timeout=self.HEALTH_CHECK_SECONDS)
                except TimeoutError:
                    await connection.execute("SELECT 1")  # a dead link raises here
            raise OSError("listener connection closed")
        finally:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    def _set_listening(self, listening: bool) -> None:
        if listening == self.listening.is_set():
            return
        if listening:
            self.listening.set()
        else:
            self.listening.clear()
        self._hearing_changed(listening)

    def _on_notification(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.error("event listener: ignored a malformed notification: %.200s", payload)
            return
        self.deliver([event])


def bus_for(database_url: str, max_queued: int) -> InProcessBus:
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresBus(database_url, max_queued)
    return InProcessBus(max_queued)
