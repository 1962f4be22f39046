"""GraphQL types and root fields for teams: developers who share applications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import sqlalchemy as sa
import strawberry
from sqlmodel import col
from strawberry import relay

from devportal import models
from devportal.resolvers import access, team_invitations, teams
from devportal.resolvers.pagination import paginate
from devportal.schema.accounts import Developer
from devportal.schema.arguments import After, First, Id
from devportal.schema.context import Info
from devportal.schema.permissions import IsAuthenticated, IsDeveloper
from devportal.schema.relay import Connection, node_pk, visible_nodes

if TYPE_CHECKING:
    from devportal.schema.applications import Application

LazyApplication = Annotated["Application", strawberry.lazy("devportal.schema.applications")]


@strawberry.enum(description="What a member may do in a team.")
class TeamRole(Enum):
    OWNER = strawberry.enum_value(
        "OWNER", description="Manages the team, its members and its applications."
    )
    MEMBER = strawberry.enum_value(
        "MEMBER", description="Uses the team's applications: registrations and keys."
    )


@strawberry.type(description="A developer's place in a team.")
class TeamMember:
    developer: Developer = strawberry.field(description="The member.")
    role: TeamRole = strawberry.field(description="What they may do in the team.")
    joined_at: datetime = strawberry.field(description="When they joined.")


@strawberry.type(description="Developers who share applications, their keys and live status.")
class Team(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The team's name.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @strawberry.field(description="Its members, the first to join first.")
    async def members(self, info: Info) -> list[TeamMember]:
        rows = await teams.members_of(info.context.session, self.id)
        return [
            TeamMember(
                developer=Developer.from_row(developer),
                role=TeamRole[member.role.value],
                joined_at=member.joined_at,
            )
            for member, developer in rows
        ]

    @strawberry.field(
        description="Invitations not yet accepted (owners see them; members get an empty list)."
    )
    async def pending_invitations(self, info: Info) -> list[TeamInvitation]:
        if not await _sees_invitations(info, self.id):
            return []
        rows = await team_invitations.pending_invitations(info.context.session, self.id)
        return [TeamInvitation.from_row(row) for row in rows]

    @strawberry.field(description="The team's applications, oldest first.")
    async def applications(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[LazyApplication]:
        from devportal.schema.applications import Application

        statement = sa.select(models.Application).where(col(models.Application.team_id) == self.id)
        page = await paginate(
            info.context.session,
            statement,
            key=col(models.Application.id),
            first=first,
            after=after,
        )
        return Connection.of(page, Application.from_row)

    @classmethod
    def from_row(cls, row: models.Team) -> Team:
        assert row.id is not None
        return cls(id=row.id, name=row.name, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Team | None]:
        async def fetch(pk: int) -> models.Team | None:
            found = await access.readable_team(info.context.session, info.context.account, pk)
            return found[0] if found else None

        return await visible_nodes(node_ids, fetch, cls.from_row)


@strawberry.type(description="An invitation to join a team, mailed to an address.")
class TeamInvitation(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="The address invited: only its account may accept.")
    role: TeamRole = strawberry.field(description="The role the invitee gets.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")
    team_id: strawberry.Private[int]

    @strawberry.field(description="The team it invites to.")
    async def team(self, info: Info) -> Team:
        row = await info.context.session.get(models.Team, self.team_id)
        assert row is not None
        return Team.from_row(row)

    @classmethod
    def from_row(cls, row: models.TeamInvitation) -> TeamInvitation:
        assert row.id is not None
        return cls(
            id=row.id,
            email=row.email,
            role=TeamRole[row.role.value],
            created_at=row.created_at,
            expires_at=row.expires_at,
            team_id=row.team_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TeamInvitation | None]:
        """Visible to the team's owners (and admins), as in ``pendingInvitations``."""

        async def fetch(pk: int) -> models.TeamInvitation | None:
            row = await info.context.session.get(models.TeamInvitation, pk)
            return row if row is not None and await _sees_invitations(info, row.team_id) else None

        return await visible_nodes(node_ids, fetch, cls.from_row)


async def _sees_invitations(info: Info, team_id: int) -> bool:
    """The team's OWNERs and admins see its invitations."""
    account = info.context.account
    found = await access.readable_team(info.context.session, account, team_id)
    if found is None:
        return False
    return found[1] == models.TeamRole.OWNER or isinstance(account, models.Admin)


TeamId = Annotated[relay.GlobalID, strawberry.argument(description="The team's ID.")]
DeveloperId = Annotated[relay.GlobalID, strawberry.argument(description="The member's ID.")]
Name = Annotated[str, strawberry.argument(description="1 to 200 characters.")]


@strawberry.type
class TeamQuery:
    @strawberry.field(
        description="The logged-in developer's teams.", permission_classes=[IsDeveloper]
    )
    async def my_teams(self, info: Info) -> list[Team]:
        rows = await teams.my_teams(session=info.context.session, developer=info.context.developer)
        return [Team.from_row(row) for row in rows]

    @strawberry.field(
        description="One team: yours, or any for admins (NOT_FOUND otherwise).",
        permission_classes=[IsAuthenticated],
    )
    async def team(self, info: Info, id: Id) -> Team | None:
        team, _ = await access.team_for(
            info.context.session, info.context.account, node_pk(id, "Team")
        )
        return Team.from_row(team)
