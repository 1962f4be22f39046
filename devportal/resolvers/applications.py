"""Applications: owned by one developer, or shared by a team; who may do what is
``access``'s rule (another developer's is NOT_FOUND, never FORBIDDEN)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import BadUserInput, NotFound
from devportal.events import AccessChanged, RegistrationChanged
from devportal.models import Application, Developer, Registration
from devportal.models.base import utcnow
from devportal.resolvers.access import Act, application_for, readable_by, team_for
from devportal.resolvers.checks import optional_text, required_text
from devportal.resolvers.common import Account, save_unique
from devportal.resolvers.pagination import Page, PageRequest, paginate
from devportal.resolvers.webhook_events import queue_webhook, registration_data

_REFERENCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")


@dataclass(frozen=True)
class ApplicationData:
    name: str
    reference_id: str
    description: str | None = None
    team_id: int | None = None  # create in this team (ignored by updates)


def _checked(data: ApplicationData) -> ApplicationData:
    reference_id = data.reference_id.strip()
    if not _REFERENCE_ID.fullmatch(reference_id):
        raise BadUserInput(
            "The reference ID must be 1 to 100 letters, digits, dots, dashes, colons or "
            "underscores, starting with a letter or digit."
        )
    return ApplicationData(
        name=required_text(data.name, "The name"),
        reference_id=reference_id,
        description=optional_text(data.description, "The description", limit=2000, lines=True),
        team_id=data.team_id,
    )


def _taken(reference_id: str) -> str:
    return f"The reference ID '{reference_id}' is taken; choose another."


async def create_application(
    *, session: AsyncSession, developer: Developer, data: ApplicationData
) -> Application:
    """A personal application, or (``data.team_id``) one in a team the developer is in."""
    data = _checked(data)
    assert developer.id is not None
    if data.team_id is not None:
        await team_for(session, developer, data.team_id)
    application = Application(
        developer_id=developer.id,
        team_id=data.team_id,
        name=data.name,
        reference_id=data.reference_id,
        description=data.description,
    )
    await save_unique(session, application, _taken(data.reference_id))
    return application


async def update_application(
    *, session: AsyncSession, developer: Developer, application_id: int, data: ApplicationData
) -> Application:
    data = _checked(data)
    application = await application_for(session, developer, application_id, Act.USE)
    application.name = data.name
    application.reference_id = data.reference_id
    application.description = data.description
    application.updated_at = utcnow()
    await save_unique(session, application, _taken(data.reference_id))
    return application


async def delete_application(
    *, session: AsyncSession, developer: Developer, application_id: int
) -> None:
    """Delete the application with its registrations and credentials.

    Each registration that goes with it is announced as UNREGISTERED.
    """
    application = await application_for(session, developer, application_id, Act.MANAGE)
    registrations = await session.scalars(
        sa.select(Registration).where(col(Registration.application_id) == application_id)
    )
    for registration in registrations:
        queue_event(session, registration_event("UNREGISTERED", registration, application))
        await queue_webhook(
            session, "REGISTRATION_UNREGISTERED", registration_data(registration, application)
        )
    await execute_update(
        session, sa.delete(Application).where(col(Application.id) == application.id)
    )


async def move_application(
    *, session: AsyncSession, developer: Developer, application_id: int, team_id: int | None
) -> Application:
    """Into one of the developer's teams, or (``team_id`` None) back to the developer alone.

    Who may move it is who may delete it (its owner, or its team's OWNERs); the one
    who moves it becomes its ``owner``. Live subscribers follow at once.
    """
    application = await application_for(session, developer, application_id, Act.MANAGE, lock=True)
    if team_id is not None:
        await team_for(session, developer, team_id)
    assert developer.id is not None
    if application.team_id == team_id and application.developer_id == developer.id:
        return application
    application.team_id = team_id
    application.developer_id = developer.id
    application.updated_at = utcnow()
    session.add(application)
    await session.flush()
    queue_event(
        session,
        AccessChanged(developer_id=developer.id, team_id=team_id, application_id=application_id),
    )
    return application


async def my_applications(
    *, session: AsyncSession, developer: Developer, first: int | None, after: str | None
) -> Page[Application]:
    """Every application the developer may read, oldest first."""
    statement = sa.select(Application).where(readable_by(developer))
    return await paginate(session, statement, key=col(Application.id), first=first, after=after)


def applications_request(
    *, viewer: Account, developer_id: int, first: int | None, after: str | None
) -> PageRequest:
    """The page of a developer's personal applications (not their teams') to load in a
    batch (``batches``): for that developer and for admins."""
    _require_applications_visible(viewer, developer_id)
    return PageRequest.of(developer_id, first=first, after=after)


def _require_applications_visible(viewer: Account, developer_id: int | None) -> None:
    if isinstance(viewer, Developer) and viewer.id != developer_id:
        raise NotFound("No such developer.")


def registration_event(
    kind: str, registration: Registration, application: Application
) -> RegistrationChanged:
    assert registration.id is not None
    assert application.id is not None
    return RegistrationChanged(
        kind=kind,
        registration_id=registration.id,
        service_version_id=registration.service_version_id,
        status=registration.status.value,
        created_at=registration.created_at,
        updated_at=registration.updated_at,
        at=utcnow(),
        application_id=application.id,
        developer_id=application.developer_id,
        application_name=application.name,
        application_reference_id=application.reference_id,
        application_description=application.description,
        application_created_at=application.created_at,
        application_updated_at=application.updated_at,
        team_id=application.team_id,
    )
