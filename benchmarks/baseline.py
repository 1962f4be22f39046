"""The bare baselines devportal is measured against, served like devportal itself.

A Starlette app with no database, no GraphQL and no middleware:

- ``/answer/{name}`` answers the bytes devportal gave for the workload ``name``
  (read from the JSON file named by ``BENCH_BASELINE_ANSWERS``);
- ``/gateway/verify/{service}/{version}`` is an in-memory key check: the sha256
  of the ``apikey`` header looked up in a dict, with devportal's status, headers
  and body for each outcome;
- ``/graphql`` over WebSocket is a bare fan-out: it speaks just enough
  graphql-transport-ws to take subscriptions, and ``POST /broadcast`` sends one
  ``next`` message to each of them (``GET /subscribers/{n}`` answers once ``n``
  are in).

    python -m benchmarks.baseline --port 8001

It is served by ``devportal serve`` itself with only the application swapped
(``uvicorn.run`` is wrapped in this process), so the loop, the HTTP
implementation, logging and every other uvicorn setting are devportal's own,
whatever devportal/cli.py says today.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import os
import sys
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

ANSWERS = "BENCH_BASELINE_ANSWERS"
SETTINGS_LINE = "baseline: uvicorn settings "


class Answers:
    """devportal's answers, as benchmarks/workloads.py wrote them down."""

    def __init__(self, found: dict[str, Any]) -> None:
        self.graphql: dict[str, dict[str, str]] = found["graphql"]
        gateway = found["gateway"]
        # sha256 of the key -> (the versions it may consume, the consumer's headers)
        self.keys: dict[str, tuple[set[tuple[str, str]], dict[str, str]]] = {
            digest: ({(slug, version) for slug, version in entry["versions"]}, entry["headers"])
            for digest, entry in gateway["keys"].items()
        }
        self.outcomes: dict[str, dict[str, Any]] = gateway["outcomes"]

    def outcome(self, name: str, headers: dict[str, str] | None = None) -> Response:
        found = self.outcomes[name]
        return Response(
            found["body"],
            found["status"],
            headers=headers or found["headers"],
            media_type=found["content_type"],
        )


def create_app() -> Starlette:
    path = Path(os.environ[ANSWERS])

    @cache
    def answers() -> Answers:
        """Read at the first request: the server starts while devportal is being seeded."""
        return Answers(json.loads(path.read_text()))

    async def answer(request: Request) -> Response:
        await request.body()
        found = answers().graphql[request.path_params["name"]]
        return Response(found["body"], media_type=found["content_type"])

    async def verify(request: Request) -> Response:
        known = answers()
        key = request.headers.get("apikey") or request.headers.get("x-api-key")
        if not key:
            return known.outcome("no_key")
        entry = known.keys.get(hashlib.sha256(key.strip().encode()).hexdigest())
        if entry is None:
            return known.outcome("unknown")
        if (request.path_params["service"], request.path_params["version"]) not in entry[0]:
            return known.outcome("denied")
        return known.outcome("allowed", entry[1])

    return Starlette(
        routes=[
            Route("/answer/{name}", answer, methods=["GET", "POST"]),
            Route("/gateway/verify/{service}/{version}", verify, methods=None),  # any method
            *Fanout().routes(),
        ]
    )


class Fanout:
    """Subscriptions that wait for one broadcast, each then sent its own copy."""

    ACK = json.dumps({"type": "connection_ack"})
    EVENT = {"developerStatusChanged": {"id": "RGV2ZWxvcGVyOjE=", "status": "APPROVED"}}

    def __init__(self) -> None:
        self.subscribed = 0
        self.changed = asyncio.Condition()
        self.broadcast: asyncio.Future[None] | None = None

    def routes(self) -> list[BaseRoute]:
        return [
            WebSocketRoute("/graphql", self.subscriber),
            Route("/broadcast", self.send, methods=["POST"]),
            Route("/subscribers/{count:int}", self.wait_for),
        ]

    def _next_broadcast(self) -> asyncio.Future[None]:
        if self.broadcast is None or self.broadcast.done():
            self.broadcast = asyncio.get_running_loop().create_future()
        return self.broadcast

    async def subscriber(self, websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="graphql-transport-ws")
        ids: list[str] = []
        reading = asyncio.create_task(self._read(websocket, ids))
        try:
            await asyncio.wait([reading, self._next_broadcast()], return_when="FIRST_COMPLETED")
            for id in ids if not reading.done() else []:
                message = {"id": id, "type": "next", "payload": {"data": self.EVENT}}
                await websocket.send_text(json.dumps(message))
            await reading
        finally:
            reading.cancel()
            async with self.changed:
                self.subscribed -= len(ids)

    async def _read(self, websocket: WebSocket, ids: list[str]) -> None:
        with suppress(WebSocketDisconnect):
            async for text in websocket.iter_text():
                message = json.loads(text)
                if message["type"] == "connection_init":
                    await websocket.send_text(self.ACK)
                elif message["type"] == "subscribe":
                    ids.append(message["id"])
                    async with self.changed:
                        self.subscribed += 1
                        self.changed.notify_all()

    async def send(self, request: Request) -> Response:
        self._next_broadcast().set_result(None)
        return Response(status_code=204)

    async def wait_for(self, request: Request) -> Response:
        count = request.path_params["count"]
        async with self.changed:
            await self.changed.wait_for(lambda: self.subscribed >= count)
        return Response(status_code=204)


def describe(settings: dict[str, Any]) -> str:
    """The uvicorn settings that matter for speed, as uvicorn will resolve them."""
    loop, http = settings.get("loop", "auto"), settings.get("http", "auto")
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    access_log = settings.get("access_log", True)
    config = settings.get("log_config")
    loggers = config.get("loggers", {}) if isinstance(config, dict) else {}
    access_level = settings.get("log_level") or loggers.get("uvicorn.access", {}).get("level")
    shown = {
        name: value
        for name, value in settings.items()
        if name not in ("app", "host", "port", "log_config", "loop", "http", "access_log")
    }
    extra = ", ".join(f"{name}={value}" for name, value in sorted(shown.items()))
    return (
        f"loop={loop}, http={http}, access log "
        f"{f'on ({access_level})' if access_log else 'off'}, {extra}"
    )


def serve_like_devportal(argv: list[str]) -> int:
    """Run ``devportal serve ARGV`` with this module's app in place of devportal's."""
    from devportal import cli

    real_run = uvicorn.run

    def run_baseline(app: Any, **settings: Any) -> None:
        print(SETTINGS_LINE + describe(settings), file=sys.stderr, flush=True)
        real_run("benchmarks.baseline:create_app", **settings)

    uvicorn.run = run_baseline
    try:
        return cli.main(["serve", *argv])
    finally:
        uvicorn.run = real_run


if __name__ == "__main__":
    sys.exit(serve_like_devportal(sys.argv[1:]))
