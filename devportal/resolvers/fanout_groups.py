"""The subscriptions a ``fanout.Hub`` feeds: members and the groups they share.

A ``Member`` is one subscription with its own bounded queue: one that falls
behind is ended with RATE_LIMITED (and its socket closed), never buffered without
end; its session's expiry ends it with UNAUTHENTICATED. A ``SoloGroup`` is one
member that executes events itself; a ``SharedGroup``'s leader executes each
event once and ``publish``es the answer to every member.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, Generic, TypeVar

from devportal.errors import RateLimited, Unauthenticated
from devportal.events import Event
from devportal.resolvers import live
from devportal.resolvers.access import Viewer
from devportal.resolvers.accounts import Authenticated

T = TypeVar("T")


class _End:
    def __init__(self, error: Exception | None) -> None:
        self.error = error


class Member(Generic[T]):
    """One subscription: a bounded queue of what it has yet to send (bytes, or events)."""

    def __init__(
        self,
        viewer: Authenticated,
        since: int,
        max_queued: int,
        on_overflow: Callable[[], None] | None,
    ) -> None:
        self.viewer = viewer
        self.since = since  # the last event handed to the hub before it joined
        self._queue: asyncio.Queue[T | _End] = asyncio.Queue()
        self._max = max_queued
        self._on_overflow = on_overflow
        self._timer: asyncio.TimerHandle | None = None
        self.ended = False

    def offer(self, item: T) -> None:
        if self.ended:
            return
        if self._queue.qsize() >= self._max:
            self.fell_behind()
            return
        self._queue.put_nowait(item)

    def fell_behind(self) -> None:
        """End it as one that fell behind: it must subscribe again (and refetch)."""
        if self.ended:
            return
        self.end(
            RateLimited(
                "Too many undelivered events: this subscription was dropped. Subscribe again."
            )
        )
        if self._on_overflow is not None:
            self._on_overflow()

    def end(self, error: Exception | None) -> None:
        """After what is queued, ``next`` raises ``error`` (or, with None, says it is over)."""
        if self.ended:
            return
        self.ended = True
        if self._timer is not None:
            self._timer.cancel()
        self._queue.put_nowait(_End(error))

    def expire_in(self, seconds: float) -> None:
        expired = Unauthenticated("Your session has expired; log in again.")
        if seconds <= 0:
            self.end(expired)
        else:
            self._timer = asyncio.get_running_loop().call_later(seconds, self.end, expired)

    async def next(self) -> T | None:
        """What to send next; None once it has ended without error."""
        item = await self._queue.get()
        if isinstance(item, _End):
            if item.error is not None:
                raise item.error
            return None
        return item


class Group(Generic[T]):
    """Subscriptions fed the same events; ``account`` stands for the whole audience."""

    def __init__(self, key: Hashable, interest: live.Interest, account: Viewer) -> None:
        self.key = key
        self.interest = interest
        self.account = account
        self.members: set[Member[Any]] = set()
        self.leader: asyncio.Task[None] | None = None

    @property
    def over(self) -> bool:
        """Its leader has ended: those who join now need a group of their own."""
        return self.leader is not None and self.leader.done()

    def feed(self, seq: int, event: Event) -> None:
        raise NotImplementedError


class SoloGroup(Group[Event]):
    def feed(self, seq: int, event: Event) -> None:
        for member in self.members:
            if member.since < seq:
                member.offer(event)


class SharedGroup(Group[str]):
    """Subscriptions that share one execution per event: its leader's."""

    def __init__(
        self, key: Hashable, interest: live.Interest, account: Viewer, max_queued: int
    ) -> None:
        super().__init__(key, interest, account)
        self._events: asyncio.Queue[tuple[int, Event]] = asyncio.Queue()
        self._max = max_queued
        self._current = 0

    def feed(self, seq: int, event: Event) -> None:
        if self._events.qsize() >= self._max:  # the leader cannot keep up: nor can they
            for member in list(self.members):
                member.fell_behind()
            return
        self._events.put_nowait((seq, event))

    async def events(self) -> AsyncIterator[Event]:
        """The leader's source: each event the group may see, once."""
        while True:
            self._current, event = await self._events.get()
            yield event

    def publish(self, answer: str) -> None:
        """The leader's answer to the event it took last, for every member since before it."""
        for member in self.members:
            if member.since < self._current:
                member.offer(answer)
