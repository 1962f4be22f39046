"""GraphQL types and root fields for applications; their API keys are in ``schema.credentials``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import access, applications
from devportal.schema.accounts import Developer
from devportal.schema.arguments import After, ApplicationId, First, Id
from devportal.schema.context import Info
from devportal.schema.credentials import Credential
from devportal.schema.permissions import IsAuthenticated, IsDeveloper
from devportal.schema.relay import Connection, node_pk, visible_nodes

if TYPE_CHECKING:
    from devportal.schema.client_credentials import ClientCredential
    from devportal.schema.registrations import Registration
    from devportal.schema.teams import Team

LazyRegistration = Annotated["Registration", strawberry.lazy("devportal.schema.registrations")]
LazyClient = Annotated["ClientCredential", strawberry.lazy("devportal.schema.client_credentials")]
LazyTeam = Annotated["Team", strawberry.lazy("devportal.schema.teams")]


@strawberry.type(
    description="A developer's application: it registers for service versions and holds API keys."
)
class Application(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Display name.")
    reference_id: str = strawberry.field(description="Unique across the portal.")
    description: str | None = strawberry.field(description="What the application is for.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    developer_id: strawberry.Private[int]
    team_id: strawberry.Private[int | None] = None

    @strawberry.field(
        description="The team that owns it, or null when it belongs to its owner alone."
    )
    async def team(self, info: Info) -> LazyTeam | None:
        from devportal.schema.teams import Team

        if self.team_id is None:
            return None
        row = await info.context.session.get(models.Team, self.team_id)
        return Team.from_row(row) if row is not None else None

    @strawberry.field(description="The developer who created it (or moved it into its team).")
    async def owner(self, info: Info) -> Developer:
        row = await info.context.loaders.developer.load(self.developer_id)
        assert row is not None
        return Developer.from_row(row)

    @strawberry.field(description="Its registrations, oldest first.")
    async def registrations(self, info: Info) -> list[LazyRegistration]:
        from devportal.schema.registrations import Registration

        rows = await info.context.loaders.registrations_of_application.load(self.id)
        return [Registration.from_row(row) for row in rows]

    @strawberry.field(description="Its API keys (prefixes only), oldest first.")
    async def credentials(self, info: Info) -> list[Credential]:
        rows = await info.context.loaders.credentials_of_application.load(self.id)
        return [Credential.from_row(row) for row in rows]

    @strawberry.field(
        description="OAuth client credentials, for versions whose auth strategy is "
        "OPENID_CONNECT (client IDs only), oldest first."
    )
    async def client_credentials(self, info: Info) -> list[LazyClient]:
        from devportal.schema.client_credentials import ClientCredential

        rows = await info.context.loaders.client_credentials_of_application.load(self.id)
        return [ClientCredential.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Application) -> Application:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            reference_id=row.reference_id,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            developer_id=row.developer_id,
            team_id=row.team_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Application | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: access.readable_application(info.context.session, info.context.account, pk),
            cls.from_row,
        )


@strawberry.input(description="An application's details.")
class ApplicationInput:
    name: str = strawberry.field(description="Display name, 1 to 200 characters.")
    reference_id: str = strawberry.field(
        description="Unique across the portal: letters, digits, dots, dashes, colons, "
        "underscores (at most 100)."
    )
    description: str | None = strawberry.field(default=None, description="What it is for.")
    team_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Create the application in this team (you must be a member). "
        "updateApplication ignores it: use moveApplication.",
    )

    def data(self) -> applications.ApplicationData:
        return applications.ApplicationData(
            name=self.name,
            reference_id=self.reference_id,
            description=self.description,
            team_id=node_pk(self.team_id, "Team") if self.team_id is not None else None,
        )


@strawberry.type
class ApplicationQuery:
    @strawberry.field(
        description="The logged-in developer's applications, oldest first.",
        permission_classes=[IsDeveloper],
    )
    async def my_applications(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Application]:
        page = await applications.my_applications(
            session=info.context.session, developer=info.context.developer, first=first, after=after
        )
        return Connection.of(page, Application.from_row)

    @strawberry.field(
        description="One application: your own, or any for admins (NOT_FOUND otherwise).",
        permission_classes=[IsAuthenticated],
    )
    async def application(self, info: Info, id: Id) -> Application | None:
        row = await access.application_for(
            info.context.session, info.context.account, node_pk(id, "Application")
        )
        return Application.from_row(row)


@strawberry.type
class ApplicationMutation:
    @strawberry.mutation(description="Create an application.", permission_classes=[IsDeveloper])
    async def create_application(
        self,
        info: Info,
        input: Annotated[ApplicationInput, strawberry.argument(description="Its details.")],
    ) -> Application:
        async with info.context.transaction() as session:
            row = await applications.create_application(
                session=session, developer=info.context.developer, data=input.data()
            )
        return Application.from_row(row)

    @strawberry.mutation(
        description="Change one of your applications.", permission_classes=[IsDeveloper]
    )
    async def update_application(
        self,
        info: Info,
        id: ApplicationId,
        input: Annotated[ApplicationInput, strawberry.argument(description="The new details.")],
    ) -> Application:
        async with info.context.transaction() as session:
            row = await applications.update_application(
                session=session,
                developer=info.context.developer,
                application_id=node_pk(id, "Application"),
                data=input.data(),
            )
        return Application.from_row(row)

    @strawberry.mutation(
        description="Delete one of your applications with its registrations and keys; "
        "returns its ID.",
        permission_classes=[IsDeveloper],
    )
    async def delete_application(self, info: Info, id: ApplicationId) -> strawberry.ID:
        async with info.context.transaction() as session:
            await applications.delete_application(
                session=session,
                developer=info.context.developer,
                application_id=node_pk(id, "Application"),
            )
        return strawberry.ID(str(id))
