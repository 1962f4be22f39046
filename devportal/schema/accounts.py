"""GraphQL types for accounts and the portal's settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from devportal import models
from devportal.resolvers import accounts, applications
from devportal.resolvers.clients import client_address
from devportal.resolvers.portal import (
    PortalSettingsChange,
    get_portal_settings,
    update_portal_settings,
)
from devportal.schema.arguments import After, First, Id
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin, IsAuthenticated
from devportal.schema.relay import Connection, node_pk, visible_nodes
from devportal.settings import Settings

if TYPE_CHECKING:
    from devportal.schema.applications import Application


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

    @classmethod
    def from_row(cls, row: models.Admin) -> Admin:
        assert row.id is not None
        return cls(id=row.id, email=row.email)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Admin | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: accounts.get_admin(viewer=info.context.account, admin_id=pk),
            cls.from_row,
        )


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


Email = Annotated[str, strawberry.argument(description="The account's email address.")]
Password = Annotated[str, strawberry.argument(description="The password.")]
EmailToken = Annotated[str, strawberry.argument(description="The token from the emailed link.")]


def _auth_payload(issued: accounts.IssuedSession) -> AuthPayload:
    return AuthPayload(
        token=issued.token, expires_at=issued.expires_at, account=account_of(issued.account)
    )


def _client(info: Info) -> str:
    """The address a log-in comes from, for limits per client (DEVPORTAL_TRUSTED_PROXIES)."""
    request = info.context.request
    return client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        info.context.settings.trusted_proxies,
    )


class _Decision(Protocol):
    async def __call__(
        self,
        *,
        session: AsyncSession,
        settings: Settings,
        admin: models.Admin,
        developer_id: int,
    ) -> models.Developer: ...


async def _decide(info: Info, id: relay.GlobalID, decision: _Decision) -> Developer:
    """An admin's decision on a developer, in one transaction."""
    async with info.context.transaction() as session:
        developer = await decision(
            session=session,
            settings=info.context.settings,
            admin=info.context.admin,
            developer_id=node_pk(id, "Developer"),
        )
    return Developer.from_row(developer)


@strawberry.type
class AccountMutation:
    # --- accounts ---------------------------------------------------------------------------

    @strawberry.mutation(
        description="Sign up as a developer. Answers true whether or not the email is taken; "
        "a confirmation link (or a note that the account exists) is mailed."
    )
    async def sign_up(
        self, info: Info, input: Annotated[SignUpInput, strawberry.argument(description="Who.")]
    ) -> bool:
        data = accounts.SignUpData(
            email=input.email,
            full_name=input.full_name,
            password=input.password,
            organization=input.organization,
        )
        async with info.context.transaction() as session:
            await accounts.sign_up(session=session, settings=info.context.settings, data=data)
        return True

    @strawberry.mutation(description="Confirm an email address with the token from the link.")
    async def confirm_email(self, info: Info, token: EmailToken) -> Developer:
        async with info.context.transaction() as session:
            developer = await accounts.confirm_email(session=session, token=token)
        return Developer.from_row(developer)

    @strawberry.mutation(description="Log in as a developer; only approved developers can.")
    async def log_in(self, info: Info, email: Email, password: Password) -> AuthPayload:
        # Its own short transactions: none is open while the password is checked.
        issued = await accounts.log_in(
            db=info.context.db,
            settings=info.context.settings,
            email=email,
            password=password,
            client=_client(info),
        )
        return _auth_payload(issued)

    @strawberry.mutation(description="Log in as an admin.")
    async def admin_log_in(self, info: Info, email: Email, password: Password) -> AuthPayload:
        # Its own short transactions: none is open while the password is checked.
        issued = await accounts.admin_log_in(
            db=info.context.db,
            settings=info.context.settings,
            email=email,
            password=password,
            client=_client(info),
        )
        return _auth_payload(issued)

    @strawberry.mutation(
        description="End the session of the token this request carries.",
        permission_classes=[IsAuthenticated],
    )
    async def log_out(self, info: Info) -> bool:
        assert info.context.token is not None
        async with info.context.transaction() as session:
            await accounts.log_out(session=session, token=info.context.token)
        return True

    @strawberry.mutation(
        description="Mail a password-reset link. Answers true whether or not the account exists."
    )
    async def request_password_reset(self, info: Info, email: Email) -> bool:
        async with info.context.transaction() as session:
            await accounts.request_password_reset(
                session=session, settings=info.context.settings, email=email
            )
        return True

    @strawberry.mutation(
        description="Choose a new password with the token from the link; ends every session."
    )
    async def reset_password(
        self,
        info: Info,
        token: EmailToken,
        password: Annotated[str, strawberry.argument(description="At least 12 characters.")],
    ) -> bool:
        async with info.context.transaction() as session:
            await accounts.reset_password(session=session, token=token, password=password)
        return True

    # --- admins: developers and the portal ------------------------------------------------------

    @strawberry.mutation(
        description="Approve a pending, rejected or revoked developer. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def approve_developer(self, info: Info, id: Id) -> Developer:
        return await _decide(info, id, accounts.approve_developer)

    @strawberry.mutation(
        description="Decline a pending developer. Admins only.", permission_classes=[IsAdmin]
    )
    async def reject_developer(self, info: Info, id: Id) -> Developer:
        return await _decide(info, id, accounts.reject_developer)

    @strawberry.mutation(
        description="Withdraw an approved developer: their sessions and keys stop at once; "
        "their data is kept. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def revoke_developer(self, info: Info, id: Id) -> Developer:
        return await _decide(info, id, accounts.revoke_developer)

    @strawberry.mutation(
        description="Change the portal's settings. Admins only.", permission_classes=[IsAdmin]
    )
    async def update_portal_settings(
        self,
        info: Info,
        input: Annotated[PortalSettingsInput, strawberry.argument(description="What to change.")],
    ) -> PortalSettings:
        change = PortalSettingsChange(
            name=input.name,
            public=input.public,
            auto_approve_developers=input.auto_approve_developers,
            max_credential_lifetime_days=input.max_credential_lifetime_days,
        )
        async with info.context.transaction() as session:
            row = await update_portal_settings(
                session=session, admin=info.context.admin, change=change
            )
        return PortalSettings.from_row(row)
