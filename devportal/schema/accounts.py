"""GraphQL types for accounts and the portal's settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import accounts, applications
from devportal.resolvers.portal import (
    get_portal_settings,
)
from devportal.resolvers.teams import teams_of
from devportal.schema.arguments import After, First
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin
from devportal.schema.relay import Connection, visible_nodes

if TYPE_CHECKING:
    from devportal.schema.applications import Application
    from devportal.schema.teams import Team


@strawberry.enum(description="Where a developer account stands.")
class DeveloperStatus(Enum):
    UNCONFIRMED = strawberry.enum_value(
        "UNCONFIRMED", description="Signed up; email not confirmed."
    )
    PENDING = strawberry.enum_value("PENDING", description="Email confirmed; waits for an admin.")
    APPROVED = strawberry.enum_value("APPROVED", description="May log in and use the portal.")
    REJECTED = strawberry.enum_value("REJECTED", description="An admin declined the account.")
    REVOKED = strawberry.enum_value("REVOKED", description="An admin withdrew the account.")


@strawberry.type(description="A developer account: signs up, owns applications.")
class Developer(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="The address the account signed up with.")
    full_name: str = strawberry.field(description="The developer's name.")
    organization: str | None = strawberry.field(description="Company or team, if given.")
    status: DeveloperStatus = strawberry.field(description="Where the account stands.")
    created_at: datetime = strawberry.field(description="When the developer signed up.")
    status_reason: str | None = strawberry.field(
        default=None,
        description="The reason an admin gave with the last rejection or revocation; "
        "null otherwise.",
    )
    decided_at: datetime | None = strawberry.field(
        default=None, description="When the last decision on this account was made."
    )
    decided_by_id: strawberry.Private[int | None] = None

    @strawberry.field(
        description="The admin who made the last decision on this account; null when none "
        "was made or it was automatic."
    )
    async def decided_by(self, info: Info) -> Admin | None:
        return await decided_by(info, self.decided_by_id)

    @strawberry.field(description="Their applications, oldest first.")
    async def applications(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Annotated[Application, strawberry.lazy("devportal.schema.applications")]]:
        from devportal.schema.applications import Application

        request = applications.applications_request(
            viewer=info.context.admin_or_developer, developer_id=self.id, first=first, after=after
        )
        page = await info.context.loaders.applications_of_developer.load(request)
        return Connection.of(page, Application.from_row)

    @strawberry.field(
        description="Teams this developer belongs to (the developer themself and admins only)."
    )
    async def teams(
        self, info: Info
    ) -> list[Annotated[Team, strawberry.lazy("devportal.schema.teams")]]:
        from devportal.schema.teams import Team

        rows = await teams_of(
            session=info.context.session,
            viewer=info.context.admin_or_developer,
            developer_id=self.id,
        )
        return [Team.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Developer) -> Developer:
        assert row.id is not None
        return cls(
            id=row.id,
            email=row.email,
            full_name=row.full_name,
            organization=row.organization,
            status=DeveloperStatus(row.status.value),
            created_at=row.created_at,
            status_reason=row.status_reason,
            decided_at=row.decided_at,
            decided_by_id=row.decided_by_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Developer | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: accounts.get_developer(
                session=info.context.session, viewer=info.context.account, developer_id=pk
            ),
            cls.from_row,
        )


@strawberry.type(description="An administrator of the portal.")
class Admin(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="The admin's login address.")
    created_at: datetime = strawberry.field(description="When the admin account was made.")

    @classmethod
    def from_row(cls, row: models.Admin) -> Admin:
        assert row.id is not None
        return cls(id=row.id, email=row.email, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Admin | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: accounts.get_admin(
                session=info.context.session, viewer=info.context.account, admin_id=pk
            ),
            cls.from_row,
        )


async def decided_by(info: Info, admin_id: int | None) -> Admin | None:
    """The admin behind a decision, shown to the developer it concerns as well."""
    if admin_id is None:
        return None
    row = await info.context.session.get(models.Admin, admin_id)
    return Admin.from_row(row) if row is not None else None


Account = Annotated[
    Developer | Admin,
    strawberry.union("Account", description="Whoever is logged in: a developer or an admin."),
]


def account_of(row: models.Admin | models.Developer) -> Any:
    return Admin.from_row(row) if isinstance(row, models.Admin) else Developer.from_row(row)


@strawberry.type(description="The portal's own settings.")
class PortalSettings:
    name: str = strawberry.field(description="The portal's name, as shown to developers.")
    public: bool = strawberry.field(
        description="When true, the catalog can be read without logging in."
    )
    auto_approve_developers: bool = strawberry.field(
        description="When true, developers are approved as soon as they confirm their email."
    )
    max_credential_lifetime_days: int | None = strawberry.field(
        description="Longest lifetime a new API key or client secret may have, in days; "
        "null means no limit."
    )

    @classmethod
    def from_row(cls, row: models.PortalSettings) -> PortalSettings:
        return cls(
            name=row.name,
            public=row.public,
            auto_approve_developers=row.auto_approve_developers,
            max_credential_lifetime_days=row.max_credential_lifetime_days,
        )


@strawberry.type(description="What a successful log-in returns.")
class AuthPayload:
    token: str = strawberry.field(
        description="Bearer token for the Authorization header or the WebSocket "
        "connection_init payload."
    )
    expires_at: datetime = strawberry.field(description="When the token stops working.")
    account: Account = strawberry.field(description="The account that logged in.")


@strawberry.input(description="A new developer account.")
class SignUpInput:
    email: str = strawberry.field(description="A valid email address; a link is sent to it.")
    full_name: str = strawberry.field(description="1 to 200 characters.")
    password: str = strawberry.field(description="At least 12 characters.")
    organization: str | None = strawberry.field(default=None, description="Company or team.")


@strawberry.input(description="Settings to change; fields left out stay as they are.")
class PortalSettingsInput:
    name: str | None = strawberry.field(default=None, description="The portal's name.")
    public: bool | None = strawberry.field(
        default=None, description="Let anyone read the catalog without logging in."
    )
    auto_approve_developers: bool | None = strawberry.field(
        default=None, description="Approve developers as soon as they confirm their email."
    )
    max_credential_lifetime_days: int | None = strawberry.field(
        default=None,
        description="Longest lifetime of a new API key or client secret, in days; "
        "0 removes the limit.",
    )


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The logged-in account, or null.")
    def me(self, info: Info) -> Account | None:
        account = info.context.account
        return account_of(account) if account else None

    @strawberry.field(description="The portal's name and its public settings.")
    async def portal(self, info: Info) -> PortalSettings:
        return PortalSettings.from_row(await get_portal_settings(info.context.session))

    @strawberry.field(
        description="Developer accounts waiting for approval, oldest first. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def pending_developers(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Developer]:
        page = await accounts.list_developers(
            session=info.context.session,
            admin=info.context.admin,
            status=models.DeveloperStatus.PENDING,
            first=first,
            after=after,
        )
        return Connection.of(page, Developer.from_row)

    @strawberry.field(
        description="Developer accounts, oldest first, optionally of one status. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def developers(
        self,
        info: Info,
        status: Annotated[
            DeveloperStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Developer]:
        page = await accounts.list_developers(
            session=info.context.session,
            admin=info.context.admin,
            status=models.DeveloperStatus(status.name) if status else None,
            first=first,
            after=after,
        )
        return Connection.of(page, Developer.from_row)
