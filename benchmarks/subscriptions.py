"""One event to many subscribers on one server process, against one subscriber.

The server must log at DEBUG: its "subscriber joined … (N listening)" lines
tell when every subscription is in. Each subscriber is an admin subscribed to
``developerStatusChanged``; approving a developer sends the event. Latency runs
from just before the approving request is sent (so it includes that request,
commit and all) to the moment this process reads each copy (so it includes the
client's own work of reading them all, on the same machine): an upper bound.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect

from benchmarks.servers import Process
from tests.flows import Portal

SUBSCRIPTION = "subscription { developerStatusChanged { id status } }"
APPROVE = "mutation($id: ID!) { approveDeveloper(id: $id) { id } }"
LISTENING = re.compile(r"\((\d+) listening\)")
OPENING_AT_ONCE = 100  # handshakes in flight: more would overflow the listen backlog
TIMEOUT = 300.0  # seconds for any one step: generous, never a sleep


@dataclass(frozen=True)
class Delivery:
    subscribers: int
    connections: int
    latencies: list[float]  # seconds, sorted

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = self.latencies
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class SubscriberResult:
    baseline: Delivery
    many: Delivery
    rss_before_kib: int
    rss_after_kib: int

    @property
    def kib_per_subscriber(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / self.many.subscribers


async def measure(
    server: Process, portal: Portal, subscribers: int, per_connection: int
) -> SubscriberResult:
    """One subscriber, then ``subscribers`` on connections of ``per_connection`` each."""
    first = await asyncio.to_thread(_pending_developer, portal, 1)
    second = await asyncio.to_thread(_pending_developer, portal, 2)
    baseline = await _one_event(server, portal, first, 1, 1)
    server.wait_for_line("subscriber left", timeout=TIMEOUT)  # so the next count is exact
    before = server.rss_kib()
    sizes = [per_connection] * (subscribers // per_connection)
    sizes += [subscribers % per_connection] if subscribers % per_connection else []
    connections = await _open_all(server, portal.admin, sizes)
    try:
        after = server.rss_kib()
        many = await _deliver(portal, second, connections, sizes)
    finally:
        await asyncio.gather(*(ws.close() for ws in connections))
    return SubscriberResult(baseline, many, before, after)


def _pending_developer(portal: Portal, n: int) -> str:
    email = f"bench-pending-{n}@portal.test"
    portal.sign_up(email)
    return str(portal.confirm(email)["id"])


async def _one_event(
    server: Process, portal: Portal, developer_id: str, total: int, per_connection: int
) -> Delivery:
    connections = await _open_all(server, portal.admin, [per_connection])
    try:
        return await _deliver(portal, developer_id, connections, [per_connection])
    finally:
        await asyncio.gather(*(ws.close() for ws in connections))


async def _open_all(server: Process, token: str, sizes: list[int]) -> list[ClientConnection]:
    """Connections holding ``sizes[i]`` subscriptions each, once the server has them all."""
    url = server.url.replace("http://", "ws://") + "/graphql"
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def opened(count: int) -> ClientConnection:
        async with gate:
            return await _subscribed(url, token, count)

    connections = await asyncio.gather(*(opened(count) for count in sizes))
    await asyncio.to_thread(_wait_listening, server, sum(sizes))
    return list(connections)


async def _subscribed(url: str, token: str, count: int) -> ClientConnection:
    ws = await connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=TIMEOUT,
        ping_interval=None,  # the server pings; 10,000 clients pinging it would be load
        max_queue=None,
    )
    auth = {"Authorization": f"Bearer {token}"}
    await ws.send(json.dumps({"type": "connection_init", "payload": auth}))
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    for n in range(count):
        subscribe = {"id": str(n), "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
        await ws.send(json.dumps(subscribe))
    return ws


def _wait_listening(server: Process, total: int) -> None:
    while True:
        found = LISTENING.search(server.wait_for_line(LISTENING.pattern, timeout=TIMEOUT))
        if found and int(found.group(1)) >= total:
            return


async def _deliver(
    portal: Portal, developer_id: str, connections: list[ClientConnection], sizes: list[int]
) -> Delivery:
    """Approve the developer; seconds until each subscription's copy was read."""
    waiting = [
        asyncio.create_task(_arrivals(ws, n)) for ws, n in zip(connections, sizes, strict=True)
    ]
    start = time.perf_counter()
    await asyncio.to_thread(portal.api.data, APPROVE, {"id": developer_id}, portal.admin)
    received = await asyncio.wait_for(asyncio.gather(*waiting), TIMEOUT)
    latencies = sorted(t - start for batch in received for t in batch)
    return Delivery(sum(sizes), len(connections), latencies)


async def _arrivals(ws: ClientConnection, expected: int) -> list[float]:
    times: list[float] = []
    messages: list[str | bytes] = []
    while len(times) < expected:
        message = await ws.recv()
        if '"next"' in str(message):
            times.append(time.perf_counter())
            messages.append(message)
    for message in messages:  # checked once the clock has stopped
        assert json.loads(message)["payload"]["data"]["developerStatusChanged"], message
    return times
