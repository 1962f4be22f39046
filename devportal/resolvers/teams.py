"""Teams: developers who share applications. OWNERs manage the team, its members and
their roles; the last OWNER cannot leave or be demoted; a team holding applications
cannot be deleted. Who may see or do what is ``access``'s rule.

Changes to a team's members are made with the team's row locked, so two owners
demoting or removing each other at once cannot leave the team without one.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, queue_event
from devportal.errors import Conflict, NotFound
from devportal.events import AccessChanged
from devportal.models import Admin, Application, Developer, Team, TeamMember, TeamRole
from devportal.resolvers.access import Viewer, team_for
from devportal.resolvers.checks import required_text

MAX_TEAMS_PER_DEVELOPER = 100


async def create_team(*, session: AsyncSession, developer: Developer, name: str) -> Team:
    """A new team, with the developer as its first OWNER."""
    name = required_text(name, "The team's name")
    assert developer.id is not None
    held = await session.scalar(
        sa.select(sa.func.count())
        .select_from(TeamMember)
        .where(col(TeamMember.developer_id) == developer.id)
    )
    if (held or 0) >= MAX_TEAMS_PER_DEVELOPER:
        raise Conflict(f"A developer belongs to at most {MAX_TEAMS_PER_DEVELOPER} teams.")
    team = Team(name=name)
    session.add(team)
    await session.flush()
    assert team.id is not None
    session.add(TeamMember(team_id=team.id, developer_id=developer.id, role=TeamRole.OWNER))
    await session.flush()
    queue_event(session, AccessChanged(developer.id, team.id, TeamRole.OWNER.value))
    return team


async def rename_team(
    *, session: AsyncSession, developer: Developer, team_id: int, name: str
) -> Team:
    name = required_text(name, "The team's name")
    team, _ = await team_for(session, developer, team_id, manage=True)
    team.name = name
    session.add(team)
    await session.flush()
    return team


async def delete_team(*, session: AsyncSession, developer: Developer, team_id: int) -> None:
    """Only an empty team goes: its applications must be moved or deleted first."""
    team, _ = await team_for(session, developer, team_id, manage=True, lock=True)
    holds = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Application)
        .where(col(Application.team_id) == team_id)
    )
    if holds:
        raise Conflict(f"The team holds {holds} applications: move or delete them before the team.")
    members = await session.scalars(
        sa.select(col(TeamMember.developer_id)).where(col(TeamMember.team_id) == team_id)
    )
    for member in list(members):
        queue_event(session, AccessChanged(member, team_id, None))
    await execute_update(session, sa.delete(Team).where(col(Team.id) == team.id))


async def set_member_role(
    *, session: AsyncSession, developer: Developer, team_id: int, member_id: int, role: TeamRole
) -> Team:
    team, _ = await team_for(session, developer, team_id, manage=True, lock=True)
    member = await _member(session, team_id, member_id)
    if member.role == role:
        return team
    if member.role == TeamRole.OWNER:
        await _not_the_last_owner(session, team_id, "demoted")
    member.role = role
    session.add(member)
    await session.flush()
    queue_event(session, AccessChanged(member_id, team_id, role.value))
    return team


async def remove_member(
    *, session: AsyncSession, developer: Developer, team_id: int, member_id: int
) -> Team:
    """OWNERs remove anyone; any member removes themself (leaves). Access ends at once:
    the next operation is refused and live subscriptions to the team's applications end."""
    team, _ = await team_for(
        session, developer, team_id, manage=member_id != developer.id, lock=True
    )
    member = await _member(session, team_id, member_id)
    if member.role == TeamRole.OWNER:
        await _not_the_last_owner(session, team_id, "removed")
    await execute_update(
        session,
        sa.delete(TeamMember).where(
            col(TeamMember.team_id) == team_id, col(TeamMember.developer_id) == member_id
        ),
    )
    queue_event(session, AccessChanged(member_id, team_id, None))
    return team


async def _member(session: AsyncSession, team_id: int, developer_id: int) -> TeamMember:
    member = await session.get(TeamMember, (team_id, developer_id))
    if member is None:
        raise NotFound("No such member of this team.")
    return member


async def _not_the_last_owner(session: AsyncSession, team_id: int, what: str) -> None:
    owners = await session.scalar(
        sa.select(sa.func.count())
        .select_from(TeamMember)
        .where(col(TeamMember.team_id) == team_id, col(TeamMember.role) == TeamRole.OWNER)
    )
    if (owners or 0) <= 1:
        raise Conflict(
            f"The team's last owner cannot be {what}: make another member an owner first."
        )


async def my_teams(*, session: AsyncSession, developer: Developer) -> list[Team]:
    return await teams_of(session=session, viewer=developer, developer_id=developer.id)


async def teams_of(
    *, session: AsyncSession, viewer: Viewer, developer_id: int | None
) -> list[Team]:
    """A developer's teams, oldest first: for that developer and for admins."""
    if not isinstance(viewer, Admin) and viewer.id != developer_id:
        return []
    rows = await session.scalars(
        sa.select(Team)
        .join(TeamMember, col(TeamMember.team_id) == col(Team.id))
        .where(col(TeamMember.developer_id) == developer_id)
        .order_by(col(Team.id))
    )
    return list(rows)


async def members_of(session: AsyncSession, team_id: int) -> list[tuple[TeamMember, Developer]]:
    """A team's members, the first to join first."""
    rows = await session.execute(
        sa.select(TeamMember, Developer)
        .join(Developer, col(Developer.id) == col(TeamMember.developer_id))
        .where(col(TeamMember.team_id) == team_id)
        .order_by(col(TeamMember.joined_at), col(TeamMember.developer_id))
    )
    return [(member, developer) for member, developer in rows]


async def application_contacts(session: AsyncSession, application: Application) -> list[Developer]:
    """Who is mailed about an application: its owner, or a team application's OWNERs."""
    if application.team_id is None:
        owner = await session.get(Developer, application.developer_id)
        return [owner] if owner is not None else []
    rows = await session.scalars(
        sa.select(Developer)
        .join(TeamMember, col(TeamMember.developer_id) == col(Developer.id))
        .where(
            col(TeamMember.team_id) == application.team_id,
            col(TeamMember.role) == TeamRole.OWNER,
        )
        .order_by(col(Developer.id))
    )
    return list(rows)


async def hand_over(session: AsyncSession, developer_id: int) -> list[int]:
    """Before a developer is erased: their team applications stay with their teams.

    Each goes to the team's longest-standing other OWNER; a team whose last OWNER
    they are gets its longest-standing member as OWNER first. Applications of a
    team they are alone in go with them: the ids of those teams are returned, for
    ``delete_deserted`` once the applications are gone.
    """
    teams = await session.scalars(
        sa.select(col(TeamMember.team_id)).where(col(TeamMember.developer_id) == developer_id)
    )
    deserted = []
    for team_id in list(teams):
        others = [
            member
            for member, _ in await members_of(session, team_id)
            if member.developer_id != developer_id
        ]
        if not others:
            deserted.append(team_id)
            continue
        owners = [member for member in others if member.role == TeamRole.OWNER]
        heir = owners[0] if owners else others[0]
        if heir.role != TeamRole.OWNER:
            heir.role = TeamRole.OWNER
            session.add(heir)
            await session.flush()
        await execute_update(
            session,
            sa.update(Application)
            .where(
                col(Application.team_id) == team_id, col(Application.developer_id) == developer_id
            )
            .values(developer_id=heir.developer_id),
        )
    return deserted


async def delete_deserted(session: AsyncSession, team_ids: list[int]) -> None:
    """Teams whose only member was erased: nobody could reach them again. A team that
    still holds an application (a former member's) stays, as ``delete_team`` would."""
    holds = sa.select(col(Application.id)).where(col(Application.team_id) == col(Team.id)).exists()
    await execute_update(session, sa.delete(Team).where(col(Team.id).in_(team_ids), ~holds))
