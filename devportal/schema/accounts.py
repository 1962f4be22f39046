"""GraphQL types for accounts and the portal's settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import accounts
from devportal.schema.context import Info
from devportal.schema.relay import pk_or_none


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
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Developer | None]:
        found = []
        for node_id in node_ids:
            pk = pk_or_none(node_id)
            row = None
            if pk is not None:
                row = await accounts.get_developer(
                    session=info.context.session, viewer=info.context.account, developer_id=pk
                )
            found.append(cls.from_row(row) if row else None)
        return found


@strawberry.type(description="An administrator of the portal.")
class Admin(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="The admin's login address.")

    @classmethod
    def from_row(cls, row: models.Admin) -> Admin:
        assert row.id is not None
        return cls(id=row.id, email=row.email)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Admin | None]:
        found = []
        for node_id in node_ids:
            pk = pk_or_none(node_id)
            row = None
            if pk is not None:
                row = await accounts.get_admin(viewer=info.context.account, admin_id=pk)
            found.append(cls.from_row(row) if row else None)
        return found


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

    @classmethod
    def from_row(cls, row: models.PortalSettings) -> PortalSettings:
        return cls(
            name=row.name, public=row.public, auto_approve_developers=row.auto_approve_developers
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
