"""Registrations: an application asking for access to a service version, and leaving it.

Every change queues a ``RegistrationChanged`` event (published after commit).
Admins' decisions are in ``resolvers.registration_decisions``.
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
    AuditAction,
    Developer,
    Registration,
    RegistrationStatus,
    Service,
    ServiceVersion,
)
from devportal.models.base import utcnow
from devportal.resolvers import audit, throttle
from devportal.resolvers.access import Act, application_for, readable_application
from devportal.resolvers.applications import registration_event
from devportal.resolvers.checks import optional_text
from devportal.resolvers.common import Account
from devportal.resolvers.webhook_events import queue_webhook, registration_data
from devportal.settings import Settings

log = logging.getLogger("devportal.registrations")

MAX_MESSAGE = 2_000
REQUESTED = AuditAction.REGISTRATION_REQUESTED
APPROVED = AuditAction.REGISTRATION_APPROVED
UNREGISTERED = AuditAction.REGISTRATION_UNREGISTERED
DELETED = AuditAction.REGISTRATION_DELETED


async def register_application(
    *,
    session: AsyncSession,
    settings: Settings,
    developer: Developer,
    application_id: int,
    version_id: int,
    message: str | None = None,
) -> Registration:
    message = optional_text(message, "The message", MAX_MESSAGE, lines=True)
    application = await application_for(session, developer, application_id, Act.USE)
    version, service = await _published_version(session, version_id)
    if not version.app_registration_enabled:
        raise AppRegistrationDisabled()
    status = RegistrationStatus.APPROVED if version.auto_approve else RegistrationStatus.PENDING
    assert application.id is not None
    registration = Registration(
        application_id=application.id,
        service_version_id=version_id,
        status=status,
        message=message,
        decided_at=utcnow() if version.auto_approve else None,
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
    await queue_webhook(
        session, "REGISTRATION_CREATED", registration_data(registration, application)
    )
    what = f'"{application.name}" asks for {service.name} {version.name}'
    audit.record(session, action=REQUESTED, actor=developer, subject=registration, summary=what)
    if status == RegistrationStatus.APPROVED:
        summary = "Approved by the version itself: it approves every request."
        audit.record(session, action=APPROVED, actor=None, subject=registration, summary=summary)
        await queue_webhook(
            session, "REGISTRATION_APPROVED", registration_data(registration, application)
        )
    elif await _may_mail_admins(session, settings, developer):
        await _mail_admins(session, settings, application, service, version, message)
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
    summary = f'"{application.name}" withdrew its request {registration.id}'
    audit.record(
        session, action=UNREGISTERED, actor=developer, subject=registration, summary=summary
    )


async def delete_registration(*, session: AsyncSession, admin: Admin, registration_id: int) -> None:
    """Remove a registration in any status; the developer may ask again."""
    registration = await session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("No such registration.")
    application = await session.get(Application, registration.application_id)
    assert application is not None
    await _delete(session, registration, "DELETED", application)
    summary = f'Request {registration.id} of "{application.name}" deleted by {admin.email}'
    audit.record(session, action=DELETED, actor=admin, subject=registration, summary=summary)


async def visible_registration(
    *, session: AsyncSession, viewer: Account | None, registration_id: int
) -> Registration | None:
    registration = await session.get(Registration, registration_id)
    if registration is None:
        return None
    application = await readable_application(session, viewer, registration.application_id)
    return registration if application is not None else None


async def _delete(
    session: AsyncSession, registration: Registration, kind: str, application: Application
) -> None:
    deleted = await execute_update(
        session, sa.delete(Registration).where(col(Registration.id) == registration.id)
    )
    if not deleted:
        raise NotFound("No such registration.")
    queue_event(session, registration_event(kind, registration, application))
    await queue_webhook(
        session, f"REGISTRATION_{kind}", registration_data(registration, application)
    )


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
    message: str | None,
) -> None:
    mail = templates.registration_requested(
        message=message,
        application=application.name,
        reference_id=application.reference_id,
        service=service.name,
        version=version.name,
        link=settings.link("/admin/registrations"),
    )
    for email in await session.scalars(sa.select(col(Admin.email))):
        enqueue(session, to=email, mail=mail)
