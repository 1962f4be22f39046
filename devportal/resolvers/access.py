"""Who may read or act on an application or a team: the one rule, used by every
resolver, list and subscription.

A viewer stands in one relation to an application (``Standing``): admin, the
owner of a personal application, an OWNER or MEMBER of the team that holds it,
or nothing to it. A team application's ``owner`` (its creator) keeps no right
from that: only membership counts. ``ALLOWED`` says which standings may do
what (``Act``). Someone with no standing is told the application does not exist
(``NOT_FOUND``, never ``FORBIDDEN``); someone who may read it but not do this
is told ``FORBIDDEN``. Lists (``readable_by``) and live events
(``sees_event``) apply the same rule to many applications at once. Teams have
the same shape (``team_for``): members and admins read, OWNERs manage.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.errors import Forbidden, NotFound
from devportal.events import RegistrationChanged
from devportal.models import Admin, Application, Developer, Team, TeamMember, TeamRole

Viewer = Admin | Developer
Roles = Mapping[int, TeamRole]
"""A developer's role in each of their teams, by team id."""


class Act(Enum):
    READ = "read"  # see it, its registrations, keys and live events
    USE = "use"  # change its details, register and unregister it, generate keys
    REVOKE_KEY = "revoke a key of"  # admins too: a leaked key must stop at once
    MANAGE = "delete or move"


class Standing(Enum):
    NONE = "none"
    ADMIN = "admin"
    OWNER = "owner"  # of a personal application
    TEAM_OWNER = "team owner"
    TEAM_MEMBER = "team member"


_DEVELOPERS = frozenset({Standing.OWNER, Standing.TEAM_OWNER, Standing.TEAM_MEMBER})
ALLOWED: dict[Act, frozenset[Standing]] = {
    Act.READ: _DEVELOPERS | {Standing.ADMIN},
    Act.USE: _DEVELOPERS,
    Act.REVOKE_KEY: _DEVELOPERS | {Standing.ADMIN},
    Act.MANAGE: frozenset({Standing.OWNER, Standing.TEAM_OWNER}),
}
_IN_TEAM = {TeamRole.OWNER: Standing.TEAM_OWNER, TeamRole.MEMBER: Standing.TEAM_MEMBER}


def standing(viewer: Viewer | None, owner_id: int, team_id: int | None, roles: Roles) -> Standing:
    """The viewer's relation to an application of ``owner_id`` in ``team_id`` (or none),
    given the viewer's roles in their teams (only ``team_id``'s is read)."""
    if isinstance(viewer, Admin):
        return Standing.ADMIN
    if not isinstance(viewer, Developer):
        return Standing.NONE
    if team_id is not None:
        role = roles.get(team_id)
        return _IN_TEAM[role] if role is not None else Standing.NONE
    return Standing.OWNER if owner_id == viewer.id else Standing.NONE


def permits(where: Standing, act: Act) -> bool:
    return where in ALLOWED[act]


async def role_in(session: AsyncSession, developer_id: int | None, team_id: int) -> TeamRole | None:
    role = await session.scalar(
        sa.select(col(TeamMember.role)).where(
            col(TeamMember.team_id) == team_id, col(TeamMember.developer_id) == developer_id
        )
    )
    return TeamRole(role) if role is not None else None


async def members_roles(session: AsyncSession, team_id: int) -> dict[int, TeamRole]:
    """Each member's role in a team, by developer id."""
    rows = await session.execute(
        sa.select(col(TeamMember.developer_id), col(TeamMember.role)).where(
            col(TeamMember.team_id) == team_id
        )
    )
    return {developer_id: TeamRole(role) for developer_id, role in rows}


async def standing_on(
    session: AsyncSession, viewer: Viewer | None, application: Application
) -> Standing:
    roles: dict[int, TeamRole] = {}
    if application.team_id is not None and isinstance(viewer, Developer):
        role = await role_in(session, viewer.id, application.team_id)
        if role is not None:
            roles[application.team_id] = role
    return standing(viewer, application.developer_id, application.team_id, roles)


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
    where = await standing_on(session, viewer, application)
    if not permits(where, Act.READ):
        raise NotFound("No such application.")
    if not permits(where, act):
        raise Forbidden(f"Only the team's owners may {act.value} this application.")
    return application


async def readable_application(
    session: AsyncSession, viewer: Viewer | None, application_id: int
) -> Application | None:
    """The application if ``viewer`` may read it, else None (``node``, nested fields)."""
    application = await session.get(Application, application_id)
    if application is None or not permits(
        await standing_on(session, viewer, application), Act.READ
    ):
        return None
    return application


def readable_by(viewer: Viewer) -> sa.ColumnElement[bool]:
    """A WHERE clause keeping the applications ``viewer`` may read: ``ALLOWED[READ]``
    for many rows in one statement."""
    if isinstance(viewer, Admin):
        return sa.true()
    teams = sa.select(col(TeamMember.team_id)).where(col(TeamMember.developer_id) == viewer.id)
    clause: Any = sa.or_(
        sa.and_(col(Application.team_id).is_(None), col(Application.developer_id) == viewer.id),
        col(Application.team_id).in_(teams),
    )
    return clause  # type: ignore[no-any-return]


def sees_event(viewer: Viewer, event: RegistrationChanged, roles: Roles) -> bool:
    """Whether a subscriber may see a live event about an application: ``ALLOWED[READ]``
    applied to the application as the event carries it, with the subscriber's roles."""
    return permits(standing(viewer, event.developer_id, event.team_id, roles), Act.READ)


async def team_for(
    session: AsyncSession,
    viewer: Viewer | None,
    team_id: int,
    *,
    manage: bool = False,
    lock: bool = False,
) -> tuple[Team, TeamRole | None]:
    """The team and the viewer's role in it, if the viewer is a member (or an admin, to
    read); OWNERs alone may ``manage`` it. NOT_FOUND for outsiders, FORBIDDEN for MEMBERs."""
    team = await session.get(Team, team_id, with_for_update=lock)
    role = None
    if team is not None and isinstance(viewer, Developer):
        role = await role_in(session, viewer.id, team_id)
    if team is None or (role is None and not isinstance(viewer, Admin)):
        raise NotFound("No such team.")
    if manage and role != TeamRole.OWNER:
        raise Forbidden("Only the team's owners may do this.")
    return team, role


async def readable_team(
    session: AsyncSession, viewer: Viewer | None, team_id: int
) -> tuple[Team, TeamRole | None] | None:
    """``team_for`` for ``node`` and nullable fields: None instead of NOT_FOUND."""
    try:
        return await team_for(session, viewer, team_id)
    except NotFound:
        return None
