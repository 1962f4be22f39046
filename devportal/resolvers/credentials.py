"""API keys: the whole key is shown once; only its SHA-256 and a short prefix are kept.

Keys may be named and may expire (see ``lifetimes``); rotation gives a key's
successor the same name and lifetime and lets the old key run on for a grace period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update
from devportal.errors import Conflict, NotFound
from devportal.models import Application, AuditAction, Credential, Developer
from devportal.models.base import utcnow
from devportal.resolvers import audit, lifetimes
from devportal.resolvers.access import Act, Viewer, application_for, readable_application
from devportal.resolvers.checks import optional_text
from devportal.resolvers.common import Account
from devportal.resolvers.webhook_events import credential_data, queue_webhook
from devportal.security import new_token, token_digest

KEY_PREFIX = "dpk_"
SHOWN_PREFIX = len(KEY_PREFIX) + 8
MAX_KEYS_PER_APPLICATION = 20


@dataclass(frozen=True)
class NewKey:
    credential: Credential
    key: str


async def generate_credential(
    *,
    session: AsyncSession,
    developer: Developer,
    application_id: int,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> NewKey:
    """A new key of 256 random bits; an application may hold several (rotation)."""
    name = optional_text(name, "The key's name", 100)
    # Lock the application so two simultaneous requests cannot both pass the cap.
    await application_for(session, developer, application_id, Act.USE, lock=True)
    expiry = await lifetimes.new_expiry(session, expires_at, utcnow())
    new = await _new_key(session, application_id, name, expiry)
    _audit(session, AuditAction.CREDENTIAL_CREATED, developer, new.credential, "created")
    return new


async def rotate_credential(
    *, session: AsyncSession, developer: Developer, credential_id: int, grace_seconds: int
) -> NewKey:
    """A successor with the old key's name and lifetime; the old key ends after the grace.

    The grace never lengthens the old key's life, and the old key gets no expiry
    warning: its successor is already there.
    """
    grace = lifetimes.grace_period(grace_seconds)
    old = await _credential_for(session, developer, credential_id, Act.USE, lock=True)
    now = utcnow()
    lifetime = old.expires_at - old.created_at if old.expires_at is not None else None
    expiry = await lifetimes.rotated_expiry(session, lifetime, now)
    new = await _new_key(session, old.application_id, old.name, expiry)
    end = now + grace
    old.expires_at = end if old.expires_at is None else min(old.expires_at, end)
    old.expiry_warned_at = old.expiry_warned_at or now
    session.add(old)
    await session.flush()
    _audit(session, AuditAction.CREDENTIAL_CREATED, developer, new.credential, "created (rotation)")
    return new


async def _new_key(
    session: AsyncSession, application_id: int, name: str | None, expiry: datetime | None
) -> NewKey:
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
        application_id=application_id,
        key_hash=token_digest(key),
        key_prefix=key[:SHOWN_PREFIX],
        name=name,
        expires_at=expiry,
    )
    session.add(credential)
    await session.flush()
    await _announce(session, "CREDENTIAL_CREATED", credential)
    return NewKey(credential=credential, key=key)


async def _announce(session: AsyncSession, event_type: str, credential: Credential) -> None:
    application = await session.get(Application, credential.application_id)  # held already
    assert application is not None
    await queue_webhook(session, event_type, credential_data(credential, application))


async def _credential_for(
    session: AsyncSession, viewer: Viewer, credential_id: int, act: Act, *, lock: bool = False
) -> Credential:
    """The key, if ``viewer`` may ``act`` on its application; NOT_FOUND if it may not see it."""
    credential = await session.get(Credential, credential_id)
    if credential is None:
        raise NotFound("No such credential.")
    # The application is locked first (as generate does), then the key itself.
    try:
        await application_for(session, viewer, credential.application_id, act, lock=lock)
    except NotFound:
        raise NotFound("No such credential.") from None
    if lock:
        await session.refresh(credential, with_for_update=True)
    return credential


async def revoke_credential(*, session: AsyncSession, viewer: Viewer, credential_id: int) -> None:
    """Delete the key: the gateway refuses it from the next call on. Admins may revoke
    any key (a leaked one), developers the keys of applications they may use."""
    credential = await _credential_for(session, viewer, credential_id, Act.REVOKE_KEY)
    await execute_update(session, sa.delete(Credential).where(col(Credential.id) == credential_id))
    _audit(session, AuditAction.CREDENTIAL_REVOKED, viewer, credential, "revoked")
    await _announce(session, "CREDENTIAL_REVOKED", credential)


def _audit(
    session: AsyncSession, action: AuditAction, actor: Viewer, key: Credential, what: str
) -> None:
    """An audit entry naming the key by its shown prefix, never by the key itself."""
    summary = f"Key {key.key_prefix}… of application {key.application_id} {what}"
    audit.record(session, action=action, actor=actor, subject=key, summary=summary)


async def visible_credential(
    *, session: AsyncSession, viewer: Account | None, credential_id: int
) -> Credential | None:
    credential = await session.get(Credential, credential_id)
    if credential is None or viewer is None:
        return None
    application = await readable_application(session, viewer, credential.application_id)
    return credential if application is not None else None
