"""API keys: the whole key is shown once; only its SHA-256 and a short prefix are kept."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update
from devportal.errors import Conflict, NotFound
from devportal.models import Credential, Developer
from devportal.resolvers.access import Act, Viewer, application_for, readable_application
from devportal.resolvers.common import Account
from devportal.security import new_token, token_digest

KEY_PREFIX = "dpk_"
SHOWN_PREFIX = len(KEY_PREFIX) + 8
MAX_KEYS_PER_APPLICATION = 20


@dataclass(frozen=True)
class NewKey:
    credential: Credential
    key: str


async def generate_credential(
    *, session: AsyncSession, developer: Developer, application_id: int
) -> NewKey:
    """A new key of 256 random bits; an application may hold several (rotation)."""
    # Lock the application so two simultaneous requests cannot both pass the cap.
    await application_for(session, developer, application_id, Act.USE, lock=True)
    held = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Credential)
        .where(col(Credential.application_id) == application_id)
    )
    if (held or 0) >= MAX_KEYS_PER_APPLICATION:
        raise Conflict(
            f"An application holds at most {MAX_KEYS_PER_APPLICATION} keys; revoke one first."
        )
    key = KEY_PREFIX + new_token(32)
    credential = Credential(
        application_id=application_id, key_hash=token_digest(key), key_prefix=key[:SHOWN_PREFIX]
    )
    session.add(credential)
    await session.flush()
    return NewKey(credential=credential, key=key)


async def revoke_credential(*, session: AsyncSession, viewer: Viewer, credential_id: int) -> None:
    """Delete the key: the gateway refuses it from the next call on. Admins may revoke
    any key (a leaked one), developers the keys of applications they may use."""
    credential = await session.get(Credential, credential_id)
    if credential is None:
        raise NotFound("No such credential.")
    try:
        await application_for(session, viewer, credential.application_id, Act.REVOKE_KEY)
    except NotFound:
        raise NotFound("No such credential.") from None
    await execute_update(session, sa.delete(Credential).where(col(Credential.id) == credential_id))


async def visible_credential(
    *, session: AsyncSession, viewer: Account | None, credential_id: int
) -> Credential | None:
    credential = await session.get(Credential, credential_id)
    if credential is None or viewer is None:
        return None
    application = await readable_application(session, viewer, credential.application_id)
    return credential if application is not None else None
