"""``/gateway/verify/{serviceSlug}/{versionName}``: forward-auth for an API gateway.

For nginx ``auth_request``, Traefik ForwardAuth or Envoy ext_authz (HTTP): the
key comes in the ``apikey`` (or ``X-API-Key``) header; the answer is a status
with a JSON ``{"message": ...}`` body and, when allowed, headers naming the
consumer for the upstream service.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.relay import to_base64

from devportal.db import Database
from devportal.resolvers.gateway import verify

# Forward-auth proxies may pass on the original request's method.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def gateway_route(db: Database) -> Route:
    async def check(request: Request) -> JSONResponse:
        key = request.headers.get("apikey") or request.headers.get("x-api-key")
        decision = await verify(
            db,
            key=key.strip() if key else None,
            service_slug=request.path_params["service"],
            version_name=request.path_params["version"],
        )
        headers = {"Cache-Control": "no-store"}
        if decision.consumer is not None:
            consumer = decision.consumer
            headers |= {
                "X-Consumer-Application-Id": to_base64("Application", consumer.application_id),
                "X-Consumer-Application-Reference-Id": consumer.reference_id,
                "X-Consumer-Developer-Id": to_base64("Developer", consumer.developer_id),
                "X-Consumer-Developer-Email": consumer.developer_email,
            }
        return JSONResponse(
            {"message": decision.message}, status_code=decision.status, headers=headers
        )

    return Route("/gateway/verify/{service}/{version}", check, methods=METHODS)
