"""How long one event takes to reach 1,000 subscribers on one server process.

Starts ``devportal serve`` on a fresh SQLite database, holds N subscriptions
to ``developerStatusChanged`` (admins) over WebSocket, approves one developer,
and prints when the first, median and last subscriber got the event, against
a baseline of a single subscriber measured on the same server in the same run.

    .venv/bin/python benchmarks/subscriptions.py [--subscriptions 1000] [--per-connection 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.flows import Portal  # noqa: E402
from tests.servers import ServerProcess  # noqa: E402
from tests.support import Api, SmtpServer, free_port  # noqa: E402

ADMIN = ("bench-admin@portal.test", "bench-admin-password")
SUBSCRIPTION = "subscription { developerStatusChanged { id status } }"
APPROVE = "mutation($id: ID!) { approveDeveloper(id: $id) { id } }"


async def open_connection(url: str, token: str, subscriptions: int) -> ClientConnection:
    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    for n in range(subscriptions):
        await ws.send(
            json.dumps({"id": str(n), "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
    return ws


async def arrivals(ws: ClientConnection, expected: int) -> list[float]:
    times = []
    while len(times) < expected:
        message = json.loads(await ws.recv())
        if message["type"] == "next":
            times.append(time.perf_counter())
    return times


async def one_event(
    server: ServerProcess, portal: Portal, developer_id: str, total: int, per_connection: int
) -> list[float]:
    """Seconds from the approving request to each subscriber's copy of the event."""
    url = server.url.replace("http", "ws") + "/graphql"
    sizes = [per_connection] * (total // per_connection) + (
        [total % per_connection] if total % per_connection else []
    )
    connections = await asyncio.gather(*(open_connection(url, portal.admin, n) for n in sizes))
    server.wait_for_line(rf"\({total} listening\)", timeout=120)
    waiting = [
        asyncio.create_task(arrivals(ws, n)) for ws, n in zip(connections, sizes, strict=True)
    ]
    start = time.perf_counter()
    await asyncio.to_thread(portal.api.data, APPROVE, {"id": developer_id}, portal.admin)
    received = [t for batch in await asyncio.wait_for(asyncio.gather(*waiting), 120) for t in batch]
    await asyncio.gather(*(ws.close() for ws in connections))
    return sorted(t - start for t in received)


def pending_developer(portal: Portal, email: str) -> str:
    portal.sign_up(email)
    return str(portal.confirm(email)["id"])


async def main(total: int, per_connection: int) -> None:
    smtp = SmtpServer(free_port()).start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DEVPORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
            "DEVPORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
            "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
            "DEVPORTAL_LOG_LEVEL": "DEBUG",  # "subscriber joined" lines tell when all are in
            "DEVPORTAL_MAX_SUBSCRIPTIONS_PER_CONNECTION": str(per_connection),
            "DEVPORTAL_SUBSCRIBER_QUEUE_SIZE": "100",
        }
        server = ServerProcess(env, cwd=ROOT)
        try:
            with httpx2.Client(base_url=server.url, timeout=60) as client:
                portal = Portal(
                    Api(client), smtp.inbox, admin_email=ADMIN[0], admin_password=ADMIN[1]
                )
                first, second = (pending_developer(portal, f"dev{n}@bench.test") for n in (1, 2))
                baseline = await one_event(server, portal, first, 1, 1)
                many = await one_event(server, portal, second, total, per_connection)
        finally:
            server.stop()
            smtp.stop()
    base = baseline[0]
    print(f"baseline: 1 subscriber got the event after {base * 1000:.1f} ms")
    print(f"{len(many)} subscribers on {len(many) // per_connection or 1} connections, one event:")
    for label, value in (
        ("first", many[0]),
        ("median", statistics.median(many)),
        ("last", many[-1]),
    ):
        print(f"  {label:>6}: {value * 1000:8.1f} ms  ({value / base:6.1f}x baseline)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--per-connection", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.subscriptions, args.per_connection))
