"""Carrying events to this process's subscribers: one execution an event, not one each.

A ``Hub`` takes every event from the bus once (one bounded queue, whatever the
number of subscribers), asks ``live.readers_of`` once per event who may see it,
and feeds it to each ``Group`` of subscriptions that asks for it and may see it.

- A shared group is every subscription with the same document, variables and
  audience (``live.audience_of``). Its leader (started by the schema layer)
  executes each event once and ``publish``es the answer, serialized once; each
  member only queues those bytes for its own WebSocket.
- A solo group is one subscription that executes events itself (a transport
  that the schema layer cannot write to directly).

Each member has its own bounded queue: one that falls behind is ended with
RATE_LIMITED (and its socket closed), never buffered without end. Its session's
expiry, log-out or revocation ends it with UNAUTHENTICATED. A member only gets
events the bus handed over after it joined.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any, TypeVar

from devportal.errors import NotFound, Unauthenticated
from devportal.events import AccessChanged, Event, InProcessBus, SessionsEnded
from devportal.resolvers import live
from devportal.resolvers.accounts import Authenticated
from devportal.resolvers.fanout_groups import Group, Member, SharedGroup, SoloGroup

log = logging.getLogger("devportal.live")

T = TypeVar("T")
# Events the hub holds before it has handed them on: it only sorts them, so this
# fills only while the process is stalled; then every subscriber starts again.
PENDING_MAX = 10_000


Lead = Callable[[SharedGroup], Awaitable[None]]
LosesAccess = Callable[[AccessChanged, Authenticated, live.Interest], Awaitable[bool]]


class Hub:
    """This process's subscribers, in groups; the bus's single subscriber for all of them."""

    def __init__(
        self,
        bus: InProcessBus,
        readers: Callable[[Event], Awaitable[live.Readers]],
        loses_access: LosesAccess | None = None,
    ) -> None:
        self._bus = bus
        self._readers = readers
        self._loses_access = loses_access
        self._groups: dict[Hashable, Group[Any]] = {}
        self._members: dict[Member[Any], Group[Any]] = {}
        self._offered = 0  # events the bus has handed over
        self._pending: asyncio.Queue[tuple[int, Event]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def member_count(self) -> int:
        return len(self._members)

    # The bus's side: called as each event is delivered, and when events were missed.

    def offer(self, event: Event) -> None:
        self._offered += 1
        if self._pending.qsize() >= PENDING_MAX:
            self.drop()
            return
        self._pending.put_nowait((self._offered, event))

    def drop(self) -> None:
        while not self._pending.empty():
            self._pending.get_nowait()
        for member in list(self._members):
            member.fell_behind()

    # The subscriptions' side.

    def join_shared(
        self,
        viewer: Authenticated,
        interest: live.Interest,
        key: Hashable,
        lead: Lead,
        on_overflow: Callable[[], None] | None = None,
    ) -> Member[str]:
        """A member of the group for ``key`` (document, variables, audience), led by ``lead``."""
        audience = live.audience_of(viewer)
        group = self._groups.get((key, audience))
        if not isinstance(group, SharedGroup) or group.over:
            group = SharedGroup((key, audience), interest, viewer.account, self._bus.max_queued)
            # A context of its own: nothing of the subscriber's operation that started it.
            group.leader = asyncio.create_task(
                self._lead(group, lead), name="live-leader", context=contextvars.Context()
            )
        member: Member[str] = Member(viewer, self._offered, self._bus.max_queued, on_overflow)
        self._enter(member, group)
        return member

    def join_solo(
        self,
        viewer: Authenticated,
        interest: live.Interest,
        on_overflow: Callable[[], None] | None = None,
    ) -> Member[Event]:
        """A member that gets the events themselves, to execute on its own."""
        member: Member[Event] = Member(viewer, self._offered, self._bus.max_queued, on_overflow)
        self._enter(member, SoloGroup(member, interest, viewer.account))
        return member

    def leave(self, member: Member[Any]) -> None:
        group = self._members.pop(member, None)
        if group is None:
            return
        member.end(None)
        group.members.discard(member)
        if not group.members:
            if self._groups.get(group.key) is group:
                del self._groups[group.key]
            if group.leader is not None:
                group.leader.cancel()
        log.debug("subscriber left: %s", _who(member.viewer))
        if not self._members:
            self._stop()

    def _enter(self, member: Member[T], group: Group[T]) -> None:
        if not self._members:
            self._start()
        self._groups[group.key] = group
        group.members.add(member)
        self._members[member] = group
        member.expire_in(live.seconds_left(member.viewer))
        log.debug("subscriber joined: %s (%d listening)", _who(member.viewer), len(self._members))

    def _start(self) -> None:
        self._bus.attach(self)
        self._task = asyncio.create_task(self._dispatch(), name="live-fanout")

    def _stop(self) -> None:
        self._bus.detach(self)
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._pending = asyncio.Queue()

    async def _lead(self, group: SharedGroup, lead: Lead) -> None:
        error: Exception | None = None
        try:
            await lead(group)
        except Exception as failed:
            log.exception("live: a shared subscription failed")
            error = RuntimeError("This subscription failed; subscribe again.")
            error.__cause__ = failed
        for member in list(group.members):
            member.end(error)

    async def _dispatch(self) -> None:
        while True:
            seq, event = await self._pending.get()
            if isinstance(event, SessionsEnded):
                self._end_sessions(event)
                continue
            if isinstance(event, AccessChanged):
                await self._end_lost_access(event)
                continue
            groups = [g for g in list(self._groups.values()) if g.interest.wants(event)]
            if not groups:
                continue
            try:
                readers = await self._readers(event)
            except Exception:
                log.exception("live: could not tell who may see an event")
                for group in groups:
                    for member in list(group.members):
                        member.fell_behind()
                continue
            for group in groups:
                if readers(group.account):
                    group.feed(seq, event)

    async def _end_lost_access(self, event: AccessChanged) -> None:
        """End the subscriptions to an application their viewer may read no more."""
        if self._loses_access is None:
            return
        for member, group in list(self._members.items()):
            try:
                lost = await self._loses_access(event, member.viewer, group.interest)
            except Exception:
                log.exception("live: could not tell whether a subscriber keeps access")
                member.fell_behind()
                continue
            if lost:
                member.end(NotFound("You no longer have access to this application."))

    def _end_sessions(self, event: SessionsEnded) -> None:
        for member in list(self._members):
            if live.ends_session(event, member.viewer):
                member.end(Unauthenticated("Your session has ended; log in again."))


def _who(viewer: Authenticated) -> str:
    return f"{type(viewer.account).__name__.lower()} {viewer.account.id}"


@contextlib.contextmanager
def membership(hub: Hub, member: Member[T]) -> Iterator[Member[T]]:
    """Leave the hub however the subscription ends (completed, cancelled, failed)."""
    try:
        yield member
    finally:
        hub.leave(member)
