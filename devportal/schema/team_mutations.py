"""Mutations on teams, their members and invitations, and moving applications between
a developer and their teams. Each is one transaction."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import applications, team_invitations, teams
from devportal.schema.applications import Application
from devportal.schema.arguments import ApplicationId
from devportal.schema.context import Info
from devportal.schema.permissions import IsDeveloper
from devportal.schema.relay import node_pk
from devportal.schema.teams import DeveloperId, Name, Team, TeamId, TeamInvitation, TeamRole

OWNERS_ONLY = "Owners only (a member gets FORBIDDEN)."


def _role(role: TeamRole) -> models.TeamRole:
    return models.TeamRole(role.name)


@strawberry.type
class TeamMutation:
    @strawberry.mutation(
        description="Create a team; you are its first owner.", permission_classes=[IsDeveloper]
    )
    async def create_team(self, info: Info, name: Name) -> Team:
        async with info.context.transaction() as session:
            row = await teams.create_team(
                session=session, developer=info.context.developer, name=name
            )
        return Team.from_row(row)

    @strawberry.mutation(
        description=f"Rename a team. {OWNERS_ONLY}", permission_classes=[IsDeveloper]
    )
    async def rename_team(self, info: Info, id: TeamId, name: Name) -> Team:
        async with info.context.transaction() as session:
            row = await teams.rename_team(
                session=session,
                developer=info.context.developer,
                team_id=node_pk(id, "Team"),
                name=name,
            )
        return Team.from_row(row)

    @strawberry.mutation(
        description=f"Delete a team that holds no applications (CONFLICT otherwise); returns "
        f"its ID. {OWNERS_ONLY}",
        permission_classes=[IsDeveloper],
    )
    async def delete_team(self, info: Info, id: TeamId) -> strawberry.ID:
        async with info.context.transaction() as session:
            await teams.delete_team(
                session=session, developer=info.context.developer, team_id=node_pk(id, "Team")
            )
        return strawberry.ID(str(id))

    @strawberry.mutation(
        description="Invite an address to a team: a mail carries a link that works once, for "
        f"7 days, for the account of that address. Inviting again replaces it. {OWNERS_ONLY}",
        permission_classes=[IsDeveloper],
    )
    async def invite_to_team(
        self,
        info: Info,
        team_id: TeamId,
        email: Annotated[str, strawberry.argument(description="The address to invite.")],
        role: Annotated[
            TeamRole, strawberry.argument(description="The role the invitee gets.")
        ] = TeamRole.MEMBER,
    ) -> TeamInvitation:
        async with info.context.transaction() as session:
            row = await team_invitations.invite(
                session=session,
                settings=info.context.settings,
                developer=info.context.developer,
                team_id=node_pk(team_id, "Team"),
                email=email,
                role=_role(role),
            )
        return TeamInvitation.from_row(row)

    @strawberry.mutation(
        description="Join a team with the token of an invitation sent to your address "
        "(another account: FORBIDDEN, and the invitation stays usable).",
        permission_classes=[IsDeveloper],
    )
    async def accept_team_invitation(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The token from the mail's link.")],
    ) -> Team:
        async with info.context.transaction() as session:
            row = await team_invitations.accept(
                session=session, developer=info.context.developer, token=token
            )
        return Team.from_row(row)

    @strawberry.mutation(
        description="Change a member's role; the last owner cannot be demoted (CONFLICT). "
        + OWNERS_ONLY,
        permission_classes=[IsDeveloper],
    )
    async def set_team_member_role(
        self,
        info: Info,
        team_id: TeamId,
        developer_id: DeveloperId,
        role: Annotated[TeamRole, strawberry.argument(description="The new role.")],
    ) -> Team:
        async with info.context.transaction() as session:
            row = await teams.set_member_role(
                session=session,
                developer=info.context.developer,
                team_id=node_pk(team_id, "Team"),
                member_id=node_pk(developer_id, "Developer"),
                role=_role(role),
            )
        return Team.from_row(row)

    @strawberry.mutation(
        description="Remove a member (owners), or leave (yourself). Their access ends at once, "
        "live subscriptions included; the last owner cannot leave (CONFLICT).",
        permission_classes=[IsDeveloper],
    )
    async def remove_team_member(
        self, info: Info, team_id: TeamId, developer_id: DeveloperId
    ) -> Team:
        async with info.context.transaction() as session:
            row = await teams.remove_member(
                session=session,
                developer=info.context.developer,
                team_id=node_pk(team_id, "Team"),
                member_id=node_pk(developer_id, "Developer"),
            )
        return Team.from_row(row)

    @strawberry.mutation(
        description="Move an application into one of your teams, or (teamId null) back to "
        "yourself.",
        permission_classes=[IsDeveloper],
    )
    async def move_application(
        self,
        info: Info,
        id: ApplicationId,
        team_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(description="The team; null: back to you alone."),
        ] = None,
    ) -> Application:
        async with info.context.transaction() as session:
            row = await applications.move_application(
                session=session,
                developer=info.context.developer,
                application_id=node_pk(id, "Application"),
                team_id=node_pk(team_id, "Team") if team_id is not None else None,
            )
        return Application.from_row(row)
