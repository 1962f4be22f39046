"""The gateway's question, asked on every API call: may this key consume this version?

Two indexed queries and no cache, so a change (approve, reject, revoke,
unregister, delete, disable) holds from the next call on, in every process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import Database, execute_update
from devportal.models import (
    Application,
    Credential,
    Developer,
    DeveloperStatus,
    Registration,
    RegistrationStatus,
    Service,
    ServiceVersion,
)
from devportal.models.base import utcnow
from devportal.security import token_digest

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Consumer:
    credential_id: int
    application_id: int
    reference_id: str
    developer_id: int
    developer_email: str


@dataclass(frozen=True)
class Decision:
    status: int
    message: str
    consumer: Consumer | None = None


NO_KEY = Decision(401, "No API key found in request")
BAD_KEY = Decision(401, "Invalid authentication credentials")
DENIED = Decision(403, "You cannot consume this service")
UNKNOWN = Decision(404, "Not found")


async def verify(
    db: Database, *, key: str | None, service_slug: str, version_name: str
) -> Decision:
    if not key:
        return NO_KEY
    async with db.session() as session:
        holder = await _key_holder(session, key)
        if holder is None:
            return BAD_KEY
        consumer, developer_status, last_used_at = holder
        version = await _version_access(session, service_slug, version_name, consumer)
    if version is None:
        return UNKNOWN
    registration_enabled, registration_status = version
    allowed = (
        developer_status == DeveloperStatus.APPROVED
        and registration_enabled
        and registration_status == RegistrationStatus.APPROVED
    )
    if last_used_at is None or utcnow() - last_used_at >= LAST_USED_RESOLUTION:
        await _touch(db, consumer.credential_id)
    return Decision(200, "OK", consumer) if allowed else DENIED


async def _key_holder(
    session: AsyncSession, key: str
) -> tuple[Consumer, DeveloperStatus, datetime | None] | None:
    row = (
        await session.execute(
            sa.select(Credential, Application, Developer)
            .join(Application, col(Application.id) == col(Credential.application_id))
            .join(Developer, col(Developer.id) == col(Application.developer_id))
            .where(col(Credential.key_hash) == token_digest(key))
        )
    ).one_or_none()
    if row is None:
        return None
    credential, application, developer = row
    assert credential.id is not None
    assert application.id is not None
    assert developer.id is not None
    consumer = Consumer(
        credential.id, application.id, application.reference_id, developer.id, developer.email
    )
    return consumer, developer.status, credential.last_used_at


async def _version_access(
    session: AsyncSession, service_slug: str, version_name: str, consumer: Consumer
) -> tuple[bool, RegistrationStatus | None] | None:
    row = (
        await session.execute(
            sa.select(col(ServiceVersion.app_registration_enabled), col(Registration.status))
            .join(Service, col(Service.id) == col(ServiceVersion.service_id))
            .outerjoin(
                Registration,
                sa.and_(
                    col(Registration.service_version_id) == col(ServiceVersion.id),
                    col(Registration.application_id) == consumer.application_id,
                ),
            )
            .where(col(Service.slug) == service_slug, col(ServiceVersion.name) == version_name)
        )
    ).one_or_none()
    if row is None:
        return None
    return bool(row[0]), row[1]


async def _touch(db: Database, credential_id: int) -> None:
    """Record use at most once a minute per key, so checks are not all writes."""
    now = utcnow()
    async with db.transaction() as session:
        await execute_update(
            session,
            sa.update(Credential)
            .where(col(Credential.id) == credential_id)
            .where(
                sa.or_(
                    col(Credential.last_used_at).is_(None),
                    col(Credential.last_used_at) <= now - LAST_USED_RESOLUTION,
                )
            )
            .values(last_used_at=now),
        )
