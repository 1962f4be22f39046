"""``/gateway/verify/{serviceSlug}/{versionName}``: forward-auth for an API gateway.

For nginx ``auth_request``, Traefik ForwardAuth or Envoy ext_authz (HTTP): the
key comes in the ``apikey`` (or ``X-API-Key``) header, a bearer token (on
``OPENID_CONNECT`` versions) in ``Authorization``; the answer is a status with a
JSON ``{"message": ...}`` body and, when allowed, headers naming the consumer for
the upstream service; every 401 says in ``WWW-Authenticate`` what was expected.
Envoy appends the original path to the check's address: anything after the
version is ignored, whatever the method.
"""

import json
from dataclasses import dataclass
from functools import lru_cache

from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.relay import to_base64

from devportal.resolvers.gateway import Gateway
from devportal.resolvers.gateway_access import Consumer, Decision
from devportal.security import bearer_token

Headers = tuple[tuple[bytes, bytes], ...]
NO_STORE: Headers = ((b"cache-control", b"no-store"),)


def gateway_routes(gateway: Gateway) -> list[Route]:
    # An ASGI app, not a function endpoint: Starlette gives those GET alone, while Envoy
    # passes on the original request's method, WebDAV's and custom ones too.
    check = GatewayCheck(gateway)
    return [
        Route("/gateway/verify/{service}/{version}", check),
        Route("/gateway/verify/{service}/{version}/{rest:path}", check),
    ]


class GatewayCheck:
    """The check as a bare ASGI app: the hottest path in the product.

    It reads three headers straight from the scope and sends an answer encoded once
    per decision, with no Request or Response object in between. Errors still reach
    the app's exception handlers.
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key, authorization = _credentials(scope["headers"])
        path = scope["path_params"]
        decision = await self.gateway.verify(
            key=key,
            bearer=bearer_token(authorization),
            service_slug=path["service"],
            version_name=path["version"],
        )
        answer = _answer(decision)
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})


def _credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The API key (``apikey``, else ``X-API-Key``) and ``Authorization``: the first of each."""
    apikey = x_api_key = authorization = None
    for name, value in headers:
        if name == b"apikey":
            apikey = value if apikey is None else apikey
        elif name == b"x-api-key":
            x_api_key = value if x_api_key is None else x_api_key
        elif name == b"authorization":
            authorization = value if authorization is None else authorization
    key = (apikey or x_api_key or b"").decode("latin-1").strip()
    return key or None, authorization.decode("latin-1") if authorization is not None else None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Headers
    body: bytes


@lru_cache(maxsize=4096)
def _answer(decision: Decision) -> _Answer:
    """Encoded once per decision (per consumer, when allowed): the check answers the same
    one many times a second."""
    body = json.dumps({"message": decision.message}).encode()
    headers = (
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *NO_STORE,
        *(_consumer_headers(decision.consumer) if decision.consumer else ()),
        *(((b"www-authenticate", decision.challenge.encode()),) if decision.challenge else ()),
    )
    return _Answer(decision.status, headers, body)


def _consumer_headers(consumer: Consumer) -> Headers:
    """Who calls, for the API behind the gateway."""
    headers = {
        "X-Consumer-Application-Id": to_base64("Application", consumer.application_id),
        "X-Consumer-Application-Reference-Id": consumer.reference_id,
        "X-Consumer-Developer-Id": to_base64("Developer", consumer.developer_id),
        "X-Consumer-Developer-Email": consumer.developer_email,
    }
    if consumer.team_id is not None:
        headers["X-Consumer-Team-Id"] = to_base64("Team", consumer.team_id)
    return tuple((name.lower().encode(), value.encode()) for name, value in headers.items())
