"""The gateway's question, asked on every API call: may this key consume this version?

One indexed query and no cache, so a change (approve, reject, revoke,
unregister, delete, disable) holds from the next call on, in every process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
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
from devportal.resolvers.checks import is_slug, is_version_name
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
    if not (is_slug(service_slug) and is_version_name(version_name)):
        # No version has this path; the key is still checked first. Such text (a NUL
        # say) must not reach the database, which may refuse to compare it.
        service_slug = version_name = ""
    async with db.session() as session:
        parameters = {"key_hash": token_digest(key), "slug": service_slug, "version": version_name}
        row = (await session.execute(_ACCESS, parameters)).one_or_none()
    if row is None:
        return BAD_KEY
    credential, application, developer, version_id, registration_enabled, registration = row
    if version_id is None:
        return UNKNOWN
    assert credential.id is not None
    assert application.id is not None
    assert developer.id is not None
    if (
        credential.last_used_at is None
        or utcnow() - credential.last_used_at >= LAST_USED_RESOLUTION
    ):
        await _touch(db, credential.id)
    allowed = (
        developer.status == DeveloperStatus.APPROVED
        and registration_enabled
        and registration == RegistrationStatus.APPROVED
    )
    if not allowed:
        return DENIED
    consumer = Consumer(
        credential.id, application.id, application.reference_id, developer.id, developer.email
    )
    return Decision(200, "OK", consumer)


def _access_statement() -> sa.Select[Any]:
    """One query: the key's holder, and (if the version exists) its registration for it.

    No row: the key is unknown. A row without a version: the service or version is.
    Built once, with bound parameters: constructing it per call was a quarter of the
    check's time.
    """
    version = (
        sa.select(
            col(ServiceVersion.id).label("id"),
            col(ServiceVersion.app_registration_enabled).label("enabled"),
        )
        .join(Service, col(Service.id) == col(ServiceVersion.service_id))
        .where(
            col(Service.slug) == sa.bindparam("slug"),
            col(ServiceVersion.name) == sa.bindparam("version"),
        )
        .subquery()
    )
    return (
        sa.select(Credential, Application, Developer, version.c.id, version.c.enabled)
        .add_columns(col(Registration.status))
        .join(Application, col(Application.id) == col(Credential.application_id))
        .join(Developer, col(Developer.id) == col(Application.developer_id))
        .outerjoin(version, sa.true())
        .outerjoin(
            Registration,
            sa.and_(
                col(Registration.service_version_id) == version.c.id,
                col(Registration.application_id) == col(Application.id),
            ),
        )
        .where(col(Credential.key_hash) == sa.bindparam("key_hash"))
    )


_ACCESS = _access_statement()


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
