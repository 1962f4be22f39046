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
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.relay import to_base64

from devportal.resolvers.gateway import Consumer, Decision, Gateway

NO_STORE = {"Cache-Control": "no-store"}


def gateway_routes(gateway: Gateway) -> list[Route]:
    async def check(request: Request) -> Response:
        headers = request.headers
        key = headers.get("apikey") or headers.get("x-api-key")
        decision = await gateway.verify(
            key=key.strip() if key else None,
            bearer=_bearer(headers.get("authorization")),
            service_slug=request.path_params["service"],
            version_name=request.path_params["version"],
        )
        return Response(
            _body(decision),
            decision.status,
            headers=_consumer_headers(decision.consumer)
            if decision.consumer
            else _refusal(decision),
            media_type="application/json",
        )

    # Any method, WebDAV's and custom ones too: Envoy passes on the original request's.
    # Starlette gives a function endpoint GET alone; an ASGI app, every method.
    any_method = _AsgiApp(request_response(check))
    return [
        Route("/gateway/verify/{service}/{version}", any_method),
        Route("/gateway/verify/{service}/{version}/{rest:path}", any_method),
    ]


class _AsgiApp:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def _bearer(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (the scheme in any case), else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@lru_cache(maxsize=16)
def _refusal(decision: Decision) -> dict[str, str]:
    if decision.challenge is None:
        return NO_STORE
    return NO_STORE | {"WWW-Authenticate": decision.challenge}


@lru_cache(maxsize=16)
def _body(decision: Decision) -> bytes:
    return json.dumps({"message": decision.message}).encode()


@lru_cache(maxsize=4096)
def _consumer_headers(consumer: Consumer) -> dict[str, str]:
    """Worked out once per consumer: the check answers the same one many times a second."""
    headers = NO_STORE | {
        "X-Consumer-Application-Id": to_base64("Application", consumer.application_id),
        "X-Consumer-Application-Reference-Id": consumer.reference_id,
        "X-Consumer-Developer-Id": to_base64("Developer", consumer.developer_id),
        "X-Consumer-Developer-Email": consumer.developer_email,
    }
    if consumer.team_id is not None:
        headers["X-Consumer-Team-Id"] = to_base64("Team", consumer.team_id)
    return headers
