"""Domain events and the bus that carries them to subscribers.

Events are queued on the session inside a mutation's transaction
(``devportal.db.queue_event``) and reach subscribers only after that
transaction commits; a rolled-back change publishes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeveloperStatusChanged:
    developer_id: int
    status: str
    at: datetime


@dataclass(frozen=True)
class RegistrationChanged:
    """A registration as it is after the change (as it was just before, when it is gone)."""

    kind: str
    registration_id: int
    application_id: int
    service_version_id: int
    developer_id: int
    status: str
    created_at: datetime
    updated_at: datetime
    at: datetime


Event = DeveloperStatusChanged | RegistrationChanged


class SubscriberOverflow(Exception):
    """A subscriber fell so far behind that its queue filled up; it is dropped."""


class Subscription:
    """One subscriber's bounded queue of events."""

    def __init__(self, max_queued: int) -> None:
        self._queue: asyncio.Queue[Event | SubscriberOverflow] = asyncio.Queue(max_queued + 1)
        self._max = max_queued
        self.overflowed = False

    def offer(self, event: Event) -> None:
        if self.overflowed:
            return
        if self._queue.qsize() >= self._max:
            self.overflowed = True
            self._queue.put_nowait(SubscriberOverflow("too many undelivered events"))
            return
        self._queue.put_nowait(event)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            item = await self._queue.get()
            if isinstance(item, SubscriberOverflow):
                raise item
            yield item


class InProcessBus:
    """Delivers events to subscribers in this process only (one server, SQLite)."""

    def __init__(self, max_queued: int = 1000) -> None:
        self._subscribers: set[Subscription] = set()
        self._max_queued = max_queued

    async def stage(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Called inside the transaction, just before it commits."""

    def committed(self, events: Sequence[Event]) -> None:
        """Called once the transaction has committed."""
        self.deliver(events)

    def deliver(self, events: Sequence[Event]) -> None:
        for subscriber in list(self._subscribers):
            for event in events:
                subscriber.offer(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        subscription = Subscription(self._max_queued)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass
