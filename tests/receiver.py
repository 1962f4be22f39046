"""A webhook receiver for tests: a real HTTP server that records what it is sent,
answers with the statuses it is told to, and checks signatures with the
``standardwebhooks`` library, as any receiver would."""

from __future__ import annotations

import json
import queue
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from standardwebhooks import Webhook as Verifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import threaded_server
from tests.support import WAIT, Api, free_port

CREATE = """
mutation($input: WebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url events enabled } } }
"""
UPDATE = """
mutation($id: ID!, $input: WebhookInput!) { updateWebhook(id: $id, input: $input) { id url } }
"""
DELIVERIES = """
query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 100) { totalCount nodes {
  id eventType eventId status attempts responseStatus deliveredAt nextAttemptAt } } } } }
"""
REDELIVER = "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status attempts } }"


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict[str, Any]:
        """The payload, once its signature and timestamp check out (else it raises)."""
        payload = Verifier(secret).verify(self.body, self.headers)
        assert isinstance(payload, dict)
        return payload

    def json(self) -> dict[str, Any]:
        payload = json.loads(self.body)
        assert isinstance(payload, dict)
        return payload


class Receiver:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._requests: queue.Queue[Received] = queue.Queue()
        self._answers: deque[int] = deque()
        self._lock = threading.Lock()

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (then 200 again)."""
        with self._lock:
            self._answers.extend(statuses)

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            status = self._answers.popleft() if self._answers else 200
        self._requests.put(Received(dict(request.headers), body, status))
        return Response(b"not for storing" * 1000, status_code=status)

    def next(self, timeout: float = WAIT) -> Received:
        try:
            return self._requests.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("the receiver got no request in time") from None

    def take(self, count: int, timeout: float = WAIT) -> list[Received]:
        return [self.next(timeout) for _ in range(count)]

    def pending(self) -> int:
        return self._requests.qsize()

    @contextmanager
    def serving(self) -> Iterator[Receiver]:
        app = Starlette(routes=[Route("/hooks", self._endpoint, methods=["POST"])])
        with threaded_server(app, self.port):
            yield self


def create_webhook(api: Api, admin: str, url: str, events: list[str], **extra: Any) -> Any:
    """The created webhook (``id``...) and its ``secret``."""
    created = api.data(CREATE, {"input": {"url": url, "events": events, **extra}}, admin)
    return {**created["createWebhook"]["webhook"], "secret": created["createWebhook"]["secret"]}


def deliveries(api: Api, admin: str, webhook_id: str) -> list[dict[str, Any]]:
    """Newest first."""
    found = api.data(DELIVERIES, {"id": webhook_id}, admin)["node"]["deliveries"]
    assert found["totalCount"] == len(found["nodes"])
    return list(found["nodes"])
