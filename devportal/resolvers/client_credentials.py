"""OAuth 2.0 client credentials: a client ID (not secret) and a secret shown once.

Only the secret's SHA-256 is kept (it has 256 random bits, so a fast hash is
enough) and it is compared in constant time. Like API keys, a client credential
may be named and expire, within the portal's lifetime limit.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update
from devportal.errors import Conflict, NotFound
from devportal.models import AuditAction, ClientCredential, Developer
from devportal.models.base import utcnow
from devportal.resolvers import audit, lifetimes
from devportal.resolvers.access import Act, Viewer, application_for, readable_application
from devportal.resolvers.checks import optional_text
from devportal.resolvers.common import Account
from devportal.resolvers.webhook_events import credential_data, queue_webhook
from devportal.security import new_token, token_digest

CLIENT_ID_PREFIX = "dpc_"
SECRET_PREFIX = "dps_"  # noqa: S105  (a prefix, not a secret)
MAX_CLIENTS_PER_APPLICATION = 20


@dataclass(frozen=True)
class NewClient:
    credential: ClientCredential
    secret: str


async def generate_client_credential(
    *,
    session: AsyncSession,
    developer: Developer,
    application_id: int,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> NewClient:
    name = optional_text(name, "The client's name", 100)
    application = await application_for(session, developer, application_id, Act.USE, lock=True)
    expiry = await lifetimes.new_expiry(session, expires_at, utcnow())
    held = await session.scalar(
        sa.select(sa.func.count())
        .select_from(ClientCredential)
        .where(col(ClientCredential.application_id) == application_id)
    )
    if (held or 0) >= MAX_CLIENTS_PER_APPLICATION:
        raise Conflict(
            f"An application holds at most {MAX_CLIENTS_PER_APPLICATION} client credentials; "
            "revoke one first."
        )
    secret = SECRET_PREFIX + new_token(32)
    credential = ClientCredential(
        application_id=application_id,
        client_id=CLIENT_ID_PREFIX + new_token(16),
        secret_hash=token_digest(secret),
        name=name,
        expires_at=expiry,
    )
    session.add(credential)
    await session.flush()
    _audit(session, AuditAction.CREDENTIAL_CREATED, developer, credential, "created")
    await queue_webhook(session, "CREDENTIAL_CREATED", credential_data(credential, application))
    return NewClient(credential=credential, secret=secret)


async def revoke_client_credential(
    *, session: AsyncSession, viewer: Viewer, credential_id: int
) -> None:
    """Delete it: no new token, and the tokens it was given fail the gateway check."""
    credential = await session.get(ClientCredential, credential_id)
    if credential is None:
        raise NotFound("No such client credential.")
    try:
        application = await application_for(
            session, viewer, credential.application_id, Act.REVOKE_KEY
        )
    except NotFound:
        raise NotFound("No such client credential.") from None
    await execute_update(
        session, sa.delete(ClientCredential).where(col(ClientCredential.id) == credential_id)
    )
    _audit(session, AuditAction.CREDENTIAL_REVOKED, viewer, credential, "revoked")
    await queue_webhook(session, "CREDENTIAL_REVOKED", credential_data(credential, application))


def _audit(
    session: AsyncSession,
    action: AuditAction,
    actor: Viewer,
    client: ClientCredential,
    what: str,
) -> None:
    """As for keys: the client is named by its ID (not secret), never by its secret."""
    summary = f"Client credential {client.client_id} of application {client.application_id} {what}"
    audit.record(session, action=action, actor=actor, subject=client, summary=summary)


async def visible_client_credential(
    *, session: AsyncSession, viewer: Account | None, credential_id: int
) -> ClientCredential | None:
    credential = await session.get(ClientCredential, credential_id)
    if credential is None or viewer is None:
        return None
    application = await readable_application(session, viewer, credential.application_id)
    return credential if application is not None else None


def secret_matches(credential: ClientCredential, secret: str) -> bool:
    return hmac.compare_digest(credential.secret_hash, token_digest(secret))
