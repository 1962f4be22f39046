"""The root Query type: thin calls into ``devportal.resolvers``."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from devportal.models import DeveloperStatus as DeveloperStatusRow
from devportal.resolvers import accounts
from devportal.resolvers.portal import get_portal_settings
from devportal.schema.accounts import (
    Account,
    Developer,
    DeveloperStatus,
    PortalSettings,
    account_of,
)
from devportal.schema.arguments import After, First, Id
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin
from devportal.schema.relay import Connection


@strawberry.type(description="Everything that can be read.")
class Query:
    @strawberry.field(
        description="Any object by its global ID, or null if it does not exist or is not yours."
    )
    async def node(self, info: Info, id: Id) -> relay.Node | None:
        # Not relay.node(): its field extension cannot be applied to a second schema.
        node: relay.Node | None = await id.resolve_node(info, required=False)
        return node

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
            status=DeveloperStatusRow.PENDING,
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
            status=DeveloperStatusRow(status.name) if status else None,
            first=first,
            after=after,
        )
        return Connection.of(page, Developer.from_row)
