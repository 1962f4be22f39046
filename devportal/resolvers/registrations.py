"""Registrations: an application asking for access to a service version.

Every change queues a ``RegistrationChanged`` event (published after commit),
and decisions are conditional updates, so of two admins deciding the same
request at the same moment exactly one wins.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import AppRegistrationDisabled, Conflict, NotFound
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import (
    Admin,
    Application,
    Developer,
    Registration,
    RegistrationStatus,
    Service,
    ServiceVersion,
)
from devportal.models.base import utcnow
from devportal.resolvers import throttle
from devportal.resolvers.access import Act, application_for, readable_application
from devportal.resolvers.applications import registration_event
from devportal.resolvers.common import Account
from devportal.resolvers.pagination import Page, paginate
from devportal.settings import Settings

log = logging.getLogger("devportal.registrations")


async def register_application(
    *,
    session: AsyncSession,
    settings: Settings,
    developer: Developer,
    application_id: int,
    version_id: int,
) -> Registration:
    application = await application_for(session, developer, application_id, Act.USE)
    version, service = await _published_version(session, version_id)
    if not version.app_registration_enabled:
        raise AppRegistrationDisabled()
    status = RegistrationStatus.APPROVED if version.auto_approve else RegistrationStatus.PENDING
    assert application.id is not None
    registration = Registration(
        application_id=application.id, service_version_id=version_id, status=status
    )
    try:
        async with session.begin_nested():
            session.add(registration)
    except sa.exc.IntegrityError:
        raise Conflict(
            "This application is registered for this version already; a rejected "
            "registration must be unregistered before asking again."
        ) from None
    queue_event(session, registration_event("CREATED", registration, application))
    if status == RegistrationStatus.PENDING and await _may_mail_admins(
        session, settings, developer
    ):
        await _mail_admins(session, settings, application, service, version)
    return registration


async def _may_mail_admins(session: AsyncSession, settings: Settings, developer: Developer) -> bool:
    limit = throttle.access_request_mails(settings.access_request_mails_per_hour)
    if limit.allows(await throttle.count(session, limit, str(developer.id))):
        return True
    log.info(
        "access request by developer %s queued without a mail: over %d an hour",
        developer.id,
        limit.hits,
    )
    return False


async def unregister_application(
    *, session: AsyncSession, developer: Developer, registration_id: int
) -> None:
    registration = await session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("No such registration.")
    try:
        application = await application_for(
            session, developer, registration.application_id, Act.USE
        )
    except NotFound:
        raise NotFound("No such registration.") from None
    await _delete(session, registration, "UNREGISTERED", application)


async def approve_registration(
    *, session: AsyncSession, settings: Settings, admin: Admin, registration_id: int
) -> Registration:
    return await _decide(
        session,
        settings,
        registration_id,
        {RegistrationStatus.PENDING},
        RegistrationStatus.APPROVED,
    )


async def reject_registration(
    *, session: AsyncSession, settings: Settings, admin: Admin, registration_id: int
) -> Registration:
    """PENDING -> REJECTED, or APPROVED -> REJECTED (an admin withdrawing access)."""
    return await _decide(
        session,
        settings,
        registration_id,
        {RegistrationStatus.PENDING, RegistrationStatus.APPROVED},
        RegistrationStatus.REJECTED,
    )


async def delete_registration(*, session: AsyncSession, admin: Admin, registration_id: int) -> None:
    """Remove a registration in any status; the developer may ask again."""
    registration = await session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("No such registration.")
    application = await session.get(Application, registration.application_id)
    assert application is not None
    await _delete(session, registration, "DELETED", application)


async def list_registrations(
    *,
    session: AsyncSession,
    admin: Admin,
    status: RegistrationStatus | None,
    first: int | None,
    after: str | None,
) -> Page[Registration]:
    """Registrations, oldest first, optionally of one status."""
    statement = sa.select(Registration)
    if status is not None:
        statement = statement.where(col(Registration.status) == status)
    return await paginate(session, statement, key=col(Registration.id), first=first, after=after)


async def visible_registration(
    *, session: AsyncSession, viewer: Account | None, registration_id: int
) -> Registration | None:
    registration = await session.get(Registration, registration_id)
    if registration is None:
        return None
    application = await readable_application(session, viewer, registration.application_id)
    return registration if application is not None else None


async def _decide(
    session: AsyncSession,
    settings: Settings,
    registration_id: int,
    allowed_from: set[RegistrationStatus],
    target: RegistrationStatus,
) -> Registration:
    changed = await execute_update(
        session,
        sa.update(Registration)
        .where(col(Registration.id) == registration_id)
        .where(col(Registration.status).in_(allowed_from))
        .values(status=target, updated_at=utcnow()),
    )
    registration = await session.get(Registration, registration_id, populate_existing=True)
    if registration is None:
        raise NotFound("No such registration; the developer may have withdrawn it.")
    if not changed:
        raise Conflict(f"This registration is {registration.status.value} already.")
    application = await session.get(Application, registration.application_id)
    version = await session.get(ServiceVersion, registration.service_version_id)
    assert application is not None
    assert version is not None
    service = await session.get(Service, version.service_id)
    developer = await session.get(Developer, application.developer_id)
    assert service is not None
    assert developer is not None
    queue_event(session, registration_event(target.value, registration, application))
    mail = templates.registration_decision(
        full_name=developer.full_name,
        application=application.name,
        service=service.name,
        version=version.name,
        decision=target.value,
        link=settings.link("/applications"),
    )
    enqueue(session, to=developer.email, mail=mail)
    return registration


async def _delete(
    session: AsyncSession, registration: Registration, kind: str, application: Application
) -> None:
    deleted = await execute_update(
        session, sa.delete(Registration).where(col(Registration.id) == registration.id)
    )
    if not deleted:
        raise NotFound("No such registration.")
    queue_event(session, registration_event(kind, registration, application))


async def _published_version(
    session: AsyncSession, version_id: int
) -> tuple[ServiceVersion, Service]:
    version = await session.get(ServiceVersion, version_id)
    service = await session.get(Service, version.service_id) if version else None
    if version is None or service is None or not service.published:
        raise NotFound("No such service version.")
    return version, service


async def _mail_admins(
    session: AsyncSession,
    settings: Settings,
    application: Application,
    service: Service,
    version: ServiceVersion,
) -> None:
    mail = templates.registration_requested(
        application=application.name,
        reference_id=application.reference_id,
        service=service.name,
        version=version.name,
        link=settings.link("/admin/registrations"),
    )
    for email in await session.scalars(sa.select(col(Admin.email))):
        enqueue(session, to=email, mail=mail)
