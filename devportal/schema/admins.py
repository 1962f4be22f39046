"""Admins managing the portal's people: the admins, developers' erasure, every application."""

from __future__ import annotations

from typing import Annotated

import strawberry

from devportal.resolvers import accounts
from devportal.resolvers.application_search import all_applications
from devportal.schema.accounts import Admin, AuthPayload, account_of
from devportal.schema.applications import Application
from devportal.schema.arguments import After, First, Id
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin
from devportal.schema.relay import Connection, node_pk


@strawberry.type
class AdminQuery:
    @strawberry.field(
        description="Admins only: every application, newest first; search matches name, "
        "referenceId and the owner's email.",
        permission_classes=[IsAdmin],
    )
    async def applications(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(description="Part of a name, referenceId or owner's email."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Application]:
        page = await all_applications(
            session=info.context.session,
            admin=info.context.admin,
            search=search,
            first=first,
            after=after,
        )
        return Connection.of(page, Application.from_row)

    @strawberry.field(description="Admins only: every admin account.", permission_classes=[IsAdmin])
    async def admins(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Admin]:
        page = await accounts.list_admins(
            session=info.context.session, admin=info.context.admin, first=first, after=after
        )
        return Connection.of(page, Admin.from_row)


@strawberry.type
class AdminMutation:
    @strawberry.mutation(
        description="Erase a developer and what is theirs (their keys stop at once); audit "
        "entries stay without their name or address. Returns the ID. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def delete_developer(self, info: Info, id: Id) -> strawberry.ID:
        async with info.context.transaction() as session:
            await accounts.delete_developer(
                session=session, admin=info.context.admin, developer_id=node_pk(id, "Developer")
            )
        return strawberry.ID(str(id))

    @strawberry.mutation(
        description="Mail an invitation to become an admin (a link to /accept-invitation, "
        "valid 7 days). CONFLICT if the address is an admin's already. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def invite_admin(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="Where to send the invitation.")],
    ) -> bool:
        async with info.context.transaction() as session:
            await accounts.invite_admin(
                session=session,
                settings=info.context.settings,
                admin=info.context.admin,
                email=email,
            )
        return True

    @strawberry.mutation(
        description="Become an admin with the token from an invitation, choosing a password; "
        "logs in. INVALID_TOKEN if used or expired."
    )
    async def accept_admin_invitation(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The token from the emailed link.")],
        password: Annotated[str, strawberry.argument(description="At least 12 characters.")],
    ) -> AuthPayload:
        async with info.context.transaction() as session:
            admin = await accounts.accept_admin_invitation(
                session=session, token=token, password=password
            )
            issued = accounts.issue_session(session, info.context.settings, admin)
        return AuthPayload(
            token=issued.token, expires_at=issued.expires_at, account=account_of(admin)
        )

    @strawberry.mutation(
        description="Remove an admin (yourself too) and end their sessions; removing the last "
        "admin is CONFLICT. Returns the ID. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def remove_admin(self, info: Info, id: Id) -> strawberry.ID:
        async with info.context.transaction() as session:
            await accounts.remove_admin(
                session=session, admin=info.context.admin, admin_id=node_pk(id, "Admin")
            )
        return strawberry.ID(str(id))
