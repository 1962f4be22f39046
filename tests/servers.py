"""Real servers for tests: uvicorn in a thread, ``devportal serve`` processes, and a
WebSocket GraphQL client speaking graphql-transport-ws or the older graphql-ws."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from websockets.sync.client import ClientConnection, connect

from tests.support import WAIT, free_port

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@contextmanager
def threaded_server(app: Starlette, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on ``port`` (a free one if not given); yield its base URL."""
    port = port or free_port()
    server = _Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, ws="websockets-sansio")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        assert server.ready.wait(WAIT), "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT)


class ServerProcess:
    """``devportal serve`` in a child process, its log lines readable as they come
    (uvicorn's access log, on stdout, among them)."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self._process = subprocess.Popen(
            [sys.executable, "-m", "devportal.cli", "serve", "--port", str(self.port), *args],
            env={**os.environ, **env},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        # One uvicorn process logs startup complete before it binds its port; a supervisor
        # of several binds first. Both lines, in either order, mean it answers.
        self.wait_for_lines("Application startup complete", "Uvicorn running on")

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)

    def wait_for_line(self, pattern: str, timeout: float = WAIT * 2) -> str:
        """Block until the server logs a line matching ``pattern``."""
        wanted = re.compile(pattern)
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no log line like {pattern!r}; log so far:\n{''.join(self.log)}"
                ) from None
            self.log.append(line)
            if wanted.search(line):
                return line

    def wait_for_lines(self, *patterns: str) -> None:
        """Block until the server has logged a line matching each pattern, in any order."""
        waiting = set(patterns)
        while waiting:
            line = self.wait_for_line("|".join(f"(?:{pattern})" for pattern in waiting))
            waiting = {pattern for pattern in waiting if not re.search(pattern, line)}

    def skip_backlog(self) -> None:
        """Set aside the lines logged so far: the next wait sees only newer ones."""
        while not self._lines.empty():
            self.log.append(self._lines.get_nowait())

    def terminate(self) -> None:
        """SIGTERM, and return at once: the server shuts down meanwhile."""
        self._process.terminate()

    def stop(self) -> None:
        """SIGTERM, then a clean exit (uvicorn re-raises the signal once shut down)."""
        self._process.terminate()
        code = self._process.wait(WAIT * 2)
        self._reader.join(WAIT)
        assert self._process.stdout is not None
        self._process.stdout.close()
        assert code in (0, -signal.SIGTERM), "".join(self.log)

    def all_lines(self) -> list[str]:
        """Once stopped: every line the server wrote."""
        self.skip_backlog()
        return self.log


class GraphQLWebSocket:
    """A subscriber's connection; ``open`` it inside a ``with`` or an ExitStack."""

    def __init__(self, ws: ClientConnection, token: str | None, protocol: str) -> None:
        self.protocol = protocol
        self.ws = ws
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        self.send({"type": "connection_init", "payload": payload})

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def receive(self, timeout: float = WAIT) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        while True:
            message: dict[str, Any] = json.loads(self.ws.recv(timeout))
            if message["type"] not in ("ka", "ping", "pong"):
                return message

    def acknowledged(self) -> bool:
        return bool(self.receive()["type"] == "connection_ack")

    def subscribe(self, query: str, variables: dict[str, Any] | None = None, id: str = "1") -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        self.send(
            {"id": id, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )

    def next_payload(self, timeout: float = WAIT) -> dict[str, Any]:
        message = self.receive(timeout)
        assert message["type"] in ("next", "data"), message
        return dict(message["payload"])

    def close(self) -> None:
        self.ws.close()


@contextmanager
def graphql_websocket(
    base_url: str, token: str | None, protocol: str = TRANSPORT_WS
) -> Iterator[GraphQLWebSocket]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=[protocol], open_timeout=WAIT) as ws:  # type: ignore[list-item]
        yield GraphQLWebSocket(ws, token, protocol)
