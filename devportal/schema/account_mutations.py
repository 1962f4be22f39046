"""Account mutations: sign-up, log-in, sessions, password reset, admins' decisions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from devportal.resolvers import accounts
from devportal.resolvers.clients import client_address
from devportal.resolvers.portal import PortalSettingsChange, update_portal_settings
from devportal.schema.accounts import (
    AuthPayload,
    Developer,
    PortalSettings,
    PortalSettingsInput,
    SignUpInput,
    account_of,
)
from devportal.schema.arguments import Id
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin, IsAuthenticated
from devportal.schema.relay import node_pk

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


Reason = Annotated[
    str | None,
    strawberry.argument(
        description="Why, for the developer (shown to them and mailed); at most 2,000 characters."
    ),
]


async def _decide(
    info: Info, id: relay.GlobalID, decision: accounts.DeveloperDecision, reason: str | None = None
) -> Developer:
    """An admin's decision on a developer, in one transaction."""
    async with info.context.transaction() as session:
        developer = await decision(
            session=session,
            settings=info.context.settings,
            admin=info.context.admin,
            developer_id=node_pk(id, "Developer"),
            reason=reason,
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
    async def reject_developer(self, info: Info, id: Id, reason: Reason = None) -> Developer:
        return await _decide(info, id, accounts.reject_developer, reason)

    @strawberry.mutation(
        description="Withdraw an approved developer: their sessions and keys stop at once; "
        "their data is kept. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def revoke_developer(self, info: Info, id: Id, reason: Reason = None) -> Developer:
        return await _decide(info, id, accounts.revoke_developer, reason)

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
