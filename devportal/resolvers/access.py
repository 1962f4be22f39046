"""Who may read or act on an application: the one rule, used by every resolver,
list and subscription.

A viewer stands in one relation to an application (``Standing``): its admin,
its owner, or nothing to it. ``ALLOWED`` says which standings may do what
(``Act``). Someone with no standing is told the application does not exist
(``NOT_FOUND``, never ``FORBIDDEN``); someone who may read it but not do this
is told ``FORBIDDEN``. Lists (``readable_by``) and live events
(``sees_event``) apply the same rule to many applications at once.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.errors import Forbidden, NotFound
from devportal.events import RegistrationChanged
from devportal.models import Admin, Application, Developer

Viewer = Admin | Developer


class Act(Enum):
    READ = "read"  # see it, its registrations, keys and live events
    USE = "use"  # change its details, register and unregister it, generate keys
    REVOKE_KEY = "revoke a key of"  # admins too: a leaked key must stop at once
    MANAGE = "delete or move"


class Standing(Enum):
    NONE = "none"
    ADMIN = "admin"
    OWNER = "owner"


ALLOWED: dict[Act, frozenset[Standing]] = {
    Act.READ: frozenset({Standing.ADMIN, Standing.OWNER}),
    Act.USE: frozenset({Standing.OWNER}),
    Act.REVOKE_KEY: frozenset({Standing.ADMIN, Standing.OWNER}),
    Act.MANAGE: frozenset({Standing.OWNER}),
}


def standing(viewer: Viewer | None, owner_id: int) -> Standing:
    """The viewer's relation to an application owned by ``owner_id``."""
    if isinstance(viewer, Admin):
        return Standing.ADMIN
    if isinstance(viewer, Developer) and owner_id == viewer.id:
        return Standing.OWNER
    return Standing.NONE


def permits(where: Standing, act: Act) -> bool:
    return where in ALLOWED[act]


async def application_for(
    session: AsyncSession,
    viewer: Viewer | None,
    application_id: int,
    act: Act = Act.READ,
    *,
    lock: bool = False,
) -> Application:
    """The application, if ``viewer`` may ``act`` on it; NOT_FOUND or FORBIDDEN if not."""
    application = await session.get(Application, application_id, with_for_update=lock)
    if application is None:
        raise NotFound("No such application.")
    where = standing(viewer, application.developer_id)
    if not permits(where, Act.READ):
        raise NotFound("No such application.")
    if not permits(where, act):
        raise Forbidden(f"You may not {act.value} this application.")
    return application


async def readable_application(
    session: AsyncSession, viewer: Viewer | None, application_id: int
) -> Application | None:
    """The application if ``viewer`` may read it, else None (``node``, nested fields)."""
    application = await session.get(Application, application_id)
    if application is None or not permits(standing(viewer, application.developer_id), Act.READ):
        return None
    return application


def readable_by(viewer: Viewer) -> sa.ColumnElement[bool]:
    """A WHERE clause keeping the applications ``viewer`` may read: ``ALLOWED[READ]``
    for many rows in one statement."""
    if isinstance(viewer, Admin):
        return sa.true()
    clause: Any = col(Application.developer_id) == viewer.id
    return clause  # type: ignore[no-any-return]


def sees_event(viewer: Viewer, event: RegistrationChanged) -> bool:
    """Whether a subscriber may see a live event about an application: ``ALLOWED[READ]``
    applied to the application as the event carries it."""
    return permits(standing(viewer, event.developer_id), Act.READ)
