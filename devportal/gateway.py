"""``/gateway/verify/{serviceSlug}/{versionName}``: forward-auth for an API gateway.

For nginx ``auth_request``, Traefik ForwardAuth or Envoy ext_authz (HTTP): the
key comes in the ``apikey`` (or ``X-API-Key``) header; the answer is a status
with a JSON ``{"message": ...}`` body and, when allowed, headers naming the
consumer for the upstream service.
"""

import json
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay import to_base64

from devportal.resolvers.gateway import Consumer, Decision, Gateway

# Forward-auth proxies may pass on the original request's method.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
NO_STORE = {"Cache-Control": "no-store"}


def gateway_route(gateway: Gateway) -> Route:
    async def check(request: Request) -> Response:
        key = request.headers.get("apikey") or request.headers.get("x-api-key")
        decision = await gateway.verify(
            key=key.strip() if key else None,
            service_slug=request.path_params["service"],
            version_name=request.path_params["version"],
        )
        headers = _consumer_headers(decision.consumer) if decision.consumer else NO_STORE
        return Response(
            _body(decision), decision.status, headers=headers, media_type="application/json"
        )

    return Route("/gateway/verify/{service}/{version}", check, methods=METHODS)


@lru_cache(maxsize=16)
def _body(decision: Decision) -> bytes:
    return json.dumps({"message": decision.message}).encode()


@lru_cache(maxsize=4096)
def _consumer_headers(consumer: Consumer) -> dict[str, str]:
    """Worked out once per consumer: the check answers the same one many times a second."""
    return NO_STORE | {
        "X-Consumer-Application-Id": to_base64("Application", consumer.application_id),
        "X-Consumer-Application-Reference-Id": consumer.reference_id,
        "X-Consumer-Developer-Id": to_base64("Developer", consumer.developer_id),
        "X-Consumer-Developer-Email": consumer.developer_email,
    }
