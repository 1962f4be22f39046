"""Subscriptions through the hub: one execution and one serialized answer per event, shared.

Subscribers with the same document, variables and audience form one group
(``devportal.resolvers.fanout``). The group's leader is one more run of the same
subscription through Strawberry (its extensions, errors and all), whose source
is the group's events rather than the bus: each event is executed by graphql-core
once, its answer serialized once, and every member writes those bytes to its
own WebSocket, wrapped in its operation's ``next`` (or ``data``) message.

The transport handlers say where a subscription's answers can be written
(``Wire``, in a ContextVar of the operation's task). Without one (a transport
the handlers do not know) a subscription executes its events itself (solo).
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import aclosing
from dataclasses import dataclass

from strawberry.types.execution import ExecutionResult, PreExecutionError

from devportal.events import Event
from devportal.resolvers import live
from devportal.resolvers.fanout import membership
from devportal.resolvers.fanout_groups import SharedGroup
from devportal.schema.context import Context, Info


@dataclass(frozen=True)
class Wire:
    """A WebSocket operation that answers can be written to as they are."""

    id: str
    query: str
    variables: dict[str, object] | None
    operation_name: str | None
    message_type: str  # "next" (graphql-transport-ws) or "data" (graphql-ws)
    send: Callable[[str], Awaitable[None]]

    @property
    def key(self) -> Hashable:
        """What the answer depends on besides the event and the audience."""
        return (self.query, self.operation_name, json.dumps(self.variables, sort_keys=True))

    @property
    def prefix(self) -> str:
        return f'{{"id":{json.dumps(self.id)},"type":"{self.message_type}","payload":'


_wire: contextvars.ContextVar[Wire | None] = contextvars.ContextVar("devportal_wire", default=None)


def on_wire(wire: Wire) -> None:
    """Called by a transport handler in the operation's own task, before it runs."""
    _wire.set(wire)


async def subscribed(
    info: Info,
    interest: Callable[[], Awaitable[live.Interest]],
    on_overflow: Callable[[], None] | None,
) -> AsyncIterator[Event]:
    """The events a subscription resolver executes, if any: the leader's, or a solo one's.

    A member of a shared group yields nothing: it writes the leader's answers to
    its socket, until it ends (as it ended before: completed, or with the error
    that ended it, such as UNAUTHENTICATED or RATE_LIMITED).
    """
    context = info.context
    if context.feed is not None:
        async for event in context.feed:
            yield event
        return
    assert context.auth is not None
    hub, wire = context.hub, _wire.get()
    async with context.subscription_slot():
        wanted = await interest()
        if wire is None:
            with membership(hub, hub.join_solo(context.auth, wanted, on_overflow)) as solo:
                while (own := await solo.next()) is not None:
                    yield own
            return

        async def lead(group: SharedGroup) -> None:
            await _lead(info, context, wire, group)

        member = hub.join_shared(context.auth, wanted, wire.key, lead, on_overflow)
        with membership(hub, member):
            await context.release()
            prefix = wire.prefix
            while (answer := await member.next()) is not None:
                await wire.send(prefix + answer + "}")


async def _lead(info: Info, context: Context, wire: Wire, group: SharedGroup) -> None:
    """Run the subscription once for the whole group, each answer serialized once."""
    leading = dataclasses.replace(context, feed=group.events(), subscriptions=0)
    results = await info.schema.subscribe(
        wire.query,
        variable_values=wire.variables,
        context_value=leading,
        operation_name=wire.operation_name,
    )
    async with aclosing(results):
        async for result in results:
            group.publish(json.dumps(_payload(result)))


def _payload(result: ExecutionResult | PreExecutionError) -> dict[str, object]:
    """As Strawberry's handlers shape a ``next`` (or ``data``) message's payload."""
    payload: dict[str, object] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload
