"""devportal as an OAuth 2.0 authorization server for its applications' client credentials:
``POST /oauth/token``, ``/.well-known/openid-configuration`` and ``/.well-known/jwks.json``."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devportal.db import Database
from devportal.resolvers.oauth_tokens import OAuthError, issue_token
from devportal.resolvers.signing_keys import ALGORITHM, SigningKeys
from devportal.settings import Settings

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"
CLIENT_CHALLENGE = 'Basic realm="devportal"'


def oauth_routes(settings: Settings, db: Database, keys: SigningKeys) -> list[Route]:
    issuer = settings.public_url.rstrip("/")

    async def token(request: Request) -> Response:
        try:
            client_id, secret, audience = await _parameters(request)
            issued = await issue_token(
                db=db,
                keys=keys,
                issuer=issuer,
                ttl_seconds=settings.access_token_ttl_seconds,
                client_id=client_id,
                secret=secret,
                audience=audience,
            )
        except OAuthError as error:
            return _error(error)
        body = {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }
        return JSONResponse(body, headers=NO_STORE)

    async def configuration(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": issuer,
                "token_endpoint": f"{issuer}/oauth/token",
                "jwks_uri": f"{issuer}/.well-known/jwks.json",
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [ALGORITHM],
            },
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def jwks(request: Request) -> Response:
        held = await keys.keys()
        # Clients re-read within a minute of a rotation, as the processes do.
        return JSONResponse(held.jwks(), headers={"Cache-Control": "public, max-age=60"})

    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/.well-known/openid-configuration", configuration, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    ]


async def _parameters(request: Request) -> tuple[str, str, str | None]:
    """The client's ID and secret (HTTP Basic or form fields, not both) and the audience."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", f"The request must be {FORM}.")
    form = await request.form()
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if name in fields:
            raise OAuthError("invalid_request", f"{name} is given more than once.")
        if not isinstance(value, str):
            raise OAuthError("invalid_request", f"{name} must be a form field.")
        fields[name] = value
    grant_type = fields.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing.")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only client_credentials is supported.")
    basic = _basic(request.headers.get("authorization"))
    if basic is not None and ("client_secret" in fields or "client_id" in fields):
        raise OAuthError("invalid_request", "Authenticate the client one way, not two.")
    client_id, secret = basic or (fields.get("client_id"), fields.get("client_secret"))
    if not client_id or not secret:
        raise OAuthError("invalid_client", "Client authentication is missing.", 401)
    return client_id, secret, fields.get("audience") or None


def _basic(authorization: str | None) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: ID and secret form-encoded, then joined by ``:`` in Basic."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "The Basic credentials are malformed.", 401) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "The Basic credentials are malformed.", 401)
    return unquote_plus(client_id), unquote_plus(secret)


def _error(error: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = CLIENT_CHALLENGE
    body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, status_code=error.status, headers=headers)
