"""``POST /oauth/token``: the client credentials grant (RFC 6749 §4.4), errors as §5.2.

The access token is a JWT signed with the portal's current key (``kid`` in its
header), with the claims of the behaviour contract: ``iss``, ``sub`` (the
application's global ID), ``client_id``, ``aud`` (the ``slug/version`` of each
approved ``OPENID_CONNECT`` registration the token is for), ``iat``, ``exp``, ``jti``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from joserfc import jwt
from sqlmodel import col

from devportal.db import ANNOUNCE_AS, Database
from devportal.models import (
    Application,
    AuthStrategy,
    ClientCredential,
    Developer,
    DeveloperStatus,
    Registration,
    RegistrationStatus,
    Service,
    ServiceVersion,
)
from devportal.models.base import timestamp, utcnow
from devportal.resolvers.client_credentials import secret_matches
from devportal.resolvers.common import global_id
from devportal.resolvers.signing_keys import ALGORITHM, SigningKeys
from devportal.security import new_token

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_PARAMETER = 300  # longer than any client ID, secret or audience


class OAuthError(Exception):
    """An error response of RFC 6749 §5.2."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def invalid_client() -> OAuthError:
    return OAuthError("invalid_client", "Client authentication failed.", 401)


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int


async def issue_token(
    *,
    db: Database,
    keys: SigningKeys,
    issuer: str,
    ttl_seconds: int,
    client_id: str,
    secret: str,
    audience: str | None,
) -> Issued:
    if max(len(client_id), len(secret), len(audience or "")) > MAX_PARAMETER:
        raise OAuthError("invalid_request", "A parameter is longer than any valid value.")
    client = await _authenticated(db, client_id, secret)
    audiences = await _approved_audiences(db, client.application_id)
    if audience is not None:
        if audience not in audiences:
            raise OAuthError(
                "invalid_target",
                "The audience is not an approved OPENID_CONNECT registration of this client.",
            )
        audiences = [audience]
    if not audiences:
        raise OAuthError(
            "invalid_target", "This client has no approved OPENID_CONNECT registration."
        )
    held = await keys.keys()
    now = int(timestamp())
    claims = {
        "iss": issuer,
        "sub": global_id("Application", client.application_id),
        "client_id": client.client_id,
        "aud": audiences,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": new_token(16),
    }
    header = {"alg": ALGORITHM, "kid": held.current.kid, "typ": "JWT"}
    token = jwt.encode(header, claims, held.signing, algorithms=[ALGORITHM])
    await _record_use(db, client)
    return Issued(token, ttl_seconds)


async def _authenticated(db: Database, client_id: str, secret: str) -> ClientCredential:
    """The client, if the secret is its own and it, and its developer, may still act."""
    async with db.session() as session:
        row = (
            await session.execute(
                sa.select(ClientCredential, col(Developer.status))
                .join(Application, col(Application.id) == col(ClientCredential.application_id))
                .join(Developer, col(Developer.id) == col(Application.developer_id))
                .where(col(ClientCredential.client_id) == client_id)
            )
        ).one_or_none()
    if row is None:
        raise invalid_client()
    client, developer_status = row
    if not secret_matches(client, secret):
        raise invalid_client()
    if client.expires_at is not None and client.expires_at <= utcnow():
        raise invalid_client()
    if developer_status != DeveloperStatus.APPROVED:
        raise invalid_client()
    return client


async def _approved_audiences(db: Database, application_id: int) -> list[str]:
    async with db.session() as session:
        rows = await session.execute(
            sa.select(col(Service.slug), col(ServiceVersion.name))
            .select_from(Registration)
            .join(ServiceVersion, col(ServiceVersion.id) == col(Registration.service_version_id))
            .join(Service, col(Service.id) == col(ServiceVersion.service_id))
            .where(
                col(Registration.application_id) == application_id,
                col(Registration.status) == RegistrationStatus.APPROVED,
                col(ServiceVersion.auth_strategy) == AuthStrategy.OPENID_CONNECT,
                col(ServiceVersion.app_registration_enabled),
            )
            .order_by(col(Registration.id))
        )
    return [f"{slug}/{name}" for slug, name in rows]


async def _record_use(db: Database, client: ClientCredential) -> None:
    """``lastUsedAt``, to within a minute: at most one write a minute per client."""
    now = utcnow()
    if client.last_used_at is not None and now - client.last_used_at < LAST_USED_RESOLUTION:
        return
    async with db.transaction() as session:
        await session.execute(
            sa.update(ClientCredential)
            .where(col(ClientCredential.id) == client.id)
            .values(last_used_at=now),
            # As for keys: the gateway's decisions do not depend on it.
            execution_options={"synchronize_session": False, ANNOUNCE_AS: "credential_use"},
        )
