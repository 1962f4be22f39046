"""What the gateway check answers, and the one query both of its checks ask.

An API key (``resolvers.gateway``) and a bearer token (``resolvers.bearer``) are
checked alike once their credential is found: an ``AccessQuery`` reads the
credential's application, developer and registration for the version in one
query, and ``decide`` turns that row into a ``Decision``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from devportal.db import Database
from devportal.models import (
    Application,
    ClientCredential,
    Credential,
    Developer,
    DeveloperStatus,
    Registration,
    RegistrationStatus,
    Service,
    ServiceVersion,
)


@dataclass(frozen=True)
class Consumer:
    application_id: int
    reference_id: str
    developer_id: int
    developer_email: str
    team_id: int | None = None  # a team application's team


@dataclass(frozen=True)
class Decision:
    status: int
    message: str
    consumer: Consumer | None = None
    challenge: str | None = None  # WWW-Authenticate, on every 401


KEY_CHALLENGE = 'Key realm="devportal"'  # as Kong's key-auth answers
NO_KEY = Decision(401, "No API key found in request", challenge=KEY_CHALLENGE)
BAD_KEY = Decision(401, "Invalid authentication credentials", challenge=KEY_CHALLENGE)
DENIED = Decision(403, "You cannot consume this service")
UNKNOWN = Decision(404, "Not found")


def decide(
    application: Application,
    developer: Developer,
    version_id: int | None,
    registration_enabled: bool | None,
    registration: RegistrationStatus | None,
) -> Decision:
    """What a live credential may do on the version, from the rest of an access row."""
    if version_id is None:
        return UNKNOWN
    allowed = (
        developer.status == DeveloperStatus.APPROVED
        and registration_enabled
        and registration == RegistrationStatus.APPROVED
    )
    if not allowed:
        return DENIED
    assert application.id is not None
    assert developer.id is not None
    consumer = Consumer(
        application.id,
        application.reference_id,
        developer.id,
        developer.email,
        application.team_id,
    )
    return Decision(200, "OK", consumer)


def _access_statement(
    credential: type[Credential | ClientCredential], match: Any
) -> sa.Select[Any]:
    """One query: a credential's holder, and (if the version exists) its registration for it.

    A row is the credential, then what ``decide`` takes. No row: the credential
    (``match`` equal to the ``credential`` parameter) is unknown. A row without a
    version: the service or version is.
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
        sa.select(credential, Application, Developer, version.c.id, version.c.enabled)
        .add_columns(col(Registration.status))
        .join(Application, col(Application.id) == col(credential.application_id))
        .join(Developer, col(Developer.id) == col(Application.developer_id))
        .outerjoin(version, sa.true())
        .outerjoin(
            Registration,
            sa.and_(
                col(Registration.service_version_id) == version.c.id,
                col(Registration.application_id) == col(Application.id),
            ),
        )
        .where(match == sa.bindparam("credential"))
    )


@dataclass(frozen=True)
class Access:
    credential_id: int
    decision: Decision
    expires: float | None  # the credential's expiry, POSIX seconds; None: never


class AccessQuery:
    """The access query for one kind of credential, found by ``match``.

    Built once, with bound parameters: constructing it per call was a quarter of
    the check's time.
    """

    def __init__(self, credential: type[Credential | ClientCredential], match: Any) -> None:
        self._statement = _access_statement(credential, match)

    async def read(self, db: Database, credential: str, slug: str, version: str) -> Access | None:
        """What the credential may do on the version; None if no credential matches."""
        async with db.session() as session:
            parameters = {"credential": credential, "slug": slug, "version": version}
            row = (await session.execute(self._statement, parameters)).one_or_none()
        if row is None:
            return None
        found, *access = row
        assert found.id is not None
        expires = found.expires_at.timestamp() if found.expires_at else None
        return Access(found.id, decide(*access), expires)
