"""One event to many WebSocket subscribers on one server process.

Against two baselines: one subscriber alone on the same server (what one event
costs), and a bare fan-out (benchmarks/baseline.py) sending the same number of
copies to the same client (what this machine, this client and uvicorn's
WebSockets cost with nothing else to do).

devportal must log at DEBUG: its "subscriber joined … (N listening)" lines tell
when every subscription is in. Each subscriber is an admin subscribed to
``developerStatusChanged``; approving a developer sends the event. Latency runs
from just before the request that causes the event is sent (so it includes that
request, commit and all) to the moment this process reads each copy (so it
includes the client's own work of reading them all, on the same machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx2
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.servers import Process
from tests.flows import Portal

SUBSCRIPTION = "subscription { developerStatusChanged { id status } }"
APPROVE = "mutation($id: ID!) { approveDeveloper(id: $id) { id } }"
LISTENING = re.compile(r"\((\d+) listening\)")
OPENING_AT_ONCE = 100  # handshakes in flight: more would overflow the listen backlog
TIMEOUT = 600.0  # seconds for any one step: generous, never a sleep


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
class Memory:
    """Server RSS before the subscribers joined and once they all had, idle."""

    before_kib: int
    after_kib: int
    subscribers: int

    @property
    def kib_per_subscriber(self) -> float:
        return (self.after_kib - self.before_kib) / self.subscribers


@dataclass(frozen=True)
class SubscriberResult:
    many: Delivery
    alone: Delivery  # one subscriber, same server
    bare: Delivery  # as many subscribers, bare fan-out
    memory: Memory
    bare_memory: Memory


@dataclass(frozen=True)
class Target:
    """Where subscribers connect, how to know they are all in, how to cause the event."""

    url: str
    all_in: Callable[[int], None]  # blocks until that many subscriptions are in
    fire: Callable[[], Awaitable[object]]


async def measure(
    devportal: Process, portal: Portal, baseline: Process, subscribers: int, per_connection: int
) -> SubscriberResult:
    """One subscriber, then ``subscribers`` on connections of ``per_connection`` each;
    then as many on the bare fan-out."""
    sizes = [per_connection] * (subscribers // per_connection)
    sizes += [subscribers % per_connection] if subscribers % per_connection else []
    first = await asyncio.to_thread(_pending_developer, portal, 1)
    second = await asyncio.to_thread(_pending_developer, portal, 2)
    alone, _ = await _one_event(_devportal(devportal, portal, first), portal.admin, [1])
    devportal.wait_for_line("subscriber left", timeout=TIMEOUT)  # so the next count is exact
    target = _devportal(devportal, portal, second)
    many, memory = await _one_event(target, portal.admin, sizes, devportal)
    with httpx2.Client(base_url=baseline.url, timeout=TIMEOUT) as client:
        bare, bare_memory = await _one_event(_bare(baseline.url, client), "-", sizes, baseline)
    assert memory is not None
    assert bare_memory is not None
    return SubscriberResult(many, alone, bare, memory, bare_memory)


def _devportal(server: Process, portal: Portal, developer_id: str) -> Target:
    def all_in(total: int) -> None:
        while True:
            found = LISTENING.search(server.wait_for_line(LISTENING.pattern, timeout=TIMEOUT))
            if found and int(found.group(1)) >= total:
                return

    return Target(
        server.url.replace("http://", "ws://") + "/graphql",
        all_in,
        lambda: asyncio.to_thread(portal.api.data, APPROVE, {"id": developer_id}, portal.admin),
    )


def _bare(base_url: str, client: httpx2.Client) -> Target:
    def all_in(total: int) -> None:
        client.get(f"/subscribers/{total}").raise_for_status()

    return Target(
        base_url.replace("http://", "ws://") + "/graphql",
        all_in,
        lambda: asyncio.to_thread(lambda: client.post("/broadcast").raise_for_status()),
    )


def _pending_developer(portal: Portal, n: int) -> str:
    email = f"bench-pending-{n}@portal.test"
    portal.sign_up(email)
    return str(portal.confirm(email)["id"])


async def _one_event(
    target: Target, token: str, sizes: list[int], server: Process | None = None
) -> tuple[Delivery, Memory | None]:
    """Subscribe, cause the event, unsubscribe; the server's memory too, if given."""
    before = server.rss_kib() if server else 0
    connections = await _open_all(target, token, sizes)
    try:
        memory = Memory(before, server.rss_kib(), sum(sizes)) if server else None
        return await _deliver(target, connections, sizes), memory
    finally:
        await asyncio.gather(*(ws.close() for ws in connections))


async def _open_all(target: Target, token: str, sizes: list[int]) -> list[ClientConnection]:
    """Connections holding ``sizes[i]`` subscriptions each, once the server has them all."""
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def opened(count: int) -> ClientConnection:
        async with gate:
            return await _subscribed(target.url, token, count)

    connections = await asyncio.gather(*(opened(count) for count in sizes))
    await asyncio.to_thread(target.all_in, sum(sizes))
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


async def _deliver(
    target: Target, connections: list[ClientConnection], sizes: list[int]
) -> Delivery:
    """Cause the event; seconds until each subscription's copy was read."""
    waiting = [
        asyncio.create_task(_arrivals(ws, n)) for ws, n in zip(connections, sizes, strict=True)
    ]
    with _no_collections():
        start = time.perf_counter()
        await target.fire()
        async with asyncio.timeout(TIMEOUT):
            received = await asyncio.gather(*waiting)
    latencies = sorted(t - start for batch in received for t in batch)
    return Delivery(sum(sizes), len(connections), latencies)


@contextlib.contextmanager
def _no_collections() -> Iterator[None]:
    """No pause of this client's own while it times the copies: with 10,000 sockets
    open, one full collection of its heap took seconds on a busy machine."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


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
