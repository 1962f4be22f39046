"""Domain events and the bus that carries them to subscribers.

Events are queued on the session inside a mutation's transaction
(``devportal.db.queue_event``) and reach subscribers only after that
transaction commits; a rolled-back change publishes nothing.

Two back ends share one small interface: ``InProcessBus`` for a single server
process (SQLite), and ``devportal.pgbus.PostgresBus``, which writes each
transaction's events to the ``event_log`` table inside the transaction and
wakes every server process with ``NOTIFY`` to read them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("devportal.events")


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
    team_id: int | None = None  # a team application: its members see the event


@dataclass(frozen=True)
class AccessChanged:
    """Who may read an application changed, for live subscribers to follow at once.

    Either a developer's role in a team (``role`` None: they left or were
    removed), or an application moved (``application_id``, now owned by
    ``developer_id`` and in ``team_id``, or its owner's alone when that is None).
    """

    developer_id: int
    team_id: int | None
    role: str | None = None
    application_id: int | None = None


@dataclass(frozen=True)
class TablesChanged:
    """A transaction wrote these tables: what caches of them hold may be stale.

    Queued by every write transaction itself (``devportal.db``), so no mutation can
    forget it. ``keys_added`` holds the digests of API keys it created: the
    gateway's index of known keys grows without a query.
    """

    tables: tuple[str, ...]
    keys_added: tuple[str, ...] = ()


Event = DeveloperStatusChanged | SessionsEnded | RegistrationChanged | AccessChanged | TablesChanged
_EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        DeveloperStatusChanged,
        SessionsEnded,
        RegistrationChanged,
        AccessChanged,
        TablesChanged,
    )
}


class Observer(Protocol):
    """What a per-process cache hears: every event, and whether it can hear at all."""

    def on_event(self, event: Event) -> None: ...

    def on_hearing(self, hearing: bool) -> None:
        """False: events may be missed from now on, trust nothing cached. True: again."""


def _fields(event: Event) -> dict[str, Any]:
    return {
        "type": type(event).__name__,
        **{
            f.name: (value.isoformat() if isinstance(value, datetime) else value)
            for f in dataclasses.fields(event)
            for value in [getattr(event, f.name)]
        },
    }


def _event(data: dict[str, Any]) -> Event:
    cls = _EVENT_TYPES[data.pop("type")]
    for f in dataclasses.fields(cls):
        if f.type in ("datetime", datetime) and data.get(f.name) is not None:
            data[f.name] = datetime.fromisoformat(data[f.name])
        elif isinstance(data.get(f.name), list):
            data[f.name] = tuple(data[f.name])
    return cls(**data)


def encode(event: Event) -> str:
    return json.dumps(_fields(event))


def decode(payload: str) -> Event:
    return _event(json.loads(payload))


def encode_all(events: Sequence[Event]) -> str:
    """One transaction's events, as one JSON array (a row of the event log)."""
    return json.dumps([_fields(event) for event in events])


def decode_all(payload: str) -> list[Event]:
    """Raises ValueError, KeyError or TypeError on what ``encode_all`` cannot have written."""
    items = json.loads(payload)
    if not isinstance(items, list):
        raise ValueError("not a list of events")
    return [_event(item) for item in items]


class Subscriber(Protocol):
    """What the bus hands each event to (``devportal.resolvers.fanout.Hub``): it must not
    block."""

    def offer(self, event: Event) -> None: ...

    def drop(self) -> None:
        """Events were missed: every subscription it carries must start again."""


class InProcessBus:
    """Delivers events to subscribers in this process only (one server, SQLite)."""

    def __init__(self, max_queued: int = 100) -> None:
        self._subscribers: set[Subscriber] = set()
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

    def drop_subscribers(self) -> None:
        """Events were missed and cannot be replayed: every subscriber must start again."""
        for subscriber in list(self._subscribers):
            subscriber.drop()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def attach(self, subscriber: Subscriber) -> None:
        """Hand ``subscriber`` every event delivered from now on, until ``detach``."""
        self._subscribers.add(subscriber)

    def detach(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


def bus_for(
    database_url: str, max_queued: int, *, gap_seconds: float = 60.0, keep_seconds: float = 3600.0
) -> InProcessBus:
    """The bus for this database: see ``devportal.pgbus`` for the two durations."""
    if make_url(database_url).get_backend_name() == "postgresql":
        from devportal.pgbus import PostgresBus  # it builds on this module

        return PostgresBus(
            database_url, max_queued, gap_seconds=gap_seconds, keep_seconds=keep_seconds
        )
    return InProcessBus(max_queued)
