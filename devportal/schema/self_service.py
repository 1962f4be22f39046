"""Mutations on one's own account: password, profile, leaving."""

from __future__ import annotations

from typing import Annotated

import strawberry

from devportal.resolvers import accounts
from devportal.schema.accounts import Developer
from devportal.schema.context import Info
from devportal.schema.permissions import IsAuthenticated, IsDeveloper
from devportal.security import token_digest


@strawberry.input(description="Profile fields to change; fields left out stay as they are.")
class ProfileInput:
    full_name: str | None = strawberry.field(default=None, description="1 to 200 characters.")
    organization: str | None = strawberry.field(
        default=None, description="Company or team; an empty string removes it."
    )


CurrentPassword = Annotated[
    str, strawberry.argument(description="The account's password, to show it is you.")
]


@strawberry.type
class SelfServiceMutation:
    @strawberry.mutation(
        description="Change your password (admins and developers); every other session of "
        "the account ends. A wrong current password is INVALID_CREDENTIALS.",
        permission_classes=[IsAuthenticated],
    )
    async def change_password(
        self,
        info: Info,
        current_password: CurrentPassword,
        new_password: Annotated[str, strawberry.argument(description="At least 12 characters.")],
    ) -> bool:
        assert info.context.token is not None
        async with info.context.transaction() as session:
            await accounts.change_password(
                session=session,
                account=info.context.admin_or_developer,
                current_password=current_password,
                new_password=new_password,
                keep_session=token_digest(info.context.token),
            )
        return True

    @strawberry.mutation(
        description="Change your name or organization. Developers only.",
        permission_classes=[IsDeveloper],
    )
    async def update_profile(
        self, info: Info, input: Annotated[ProfileInput, strawberry.argument(description="What.")]
    ) -> Developer:
        change = accounts.ProfileChange(full_name=input.full_name, organization=input.organization)
        async with info.context.transaction() as session:
            row = await accounts.update_profile(
                session=session, developer=info.context.developer, change=change
            )
        return Developer.from_row(row)

    @strawberry.mutation(
        description="Erase your account: sessions, applications (their keys stop at once), "
        "mail to you. A wrong password is INVALID_CREDENTIALS. Developers only.",
        permission_classes=[IsDeveloper],
    )
    async def delete_my_account(self, info: Info, password: CurrentPassword) -> bool:
        async with info.context.transaction() as session:
            await accounts.delete_my_account(
                session=session, developer=info.context.developer, password=password
            )
        return True

    @strawberry.mutation(
        description="Ask to change your email address: a link goes to the new address, a "
        "notice to the old one. True whether or not the new address is taken (a taken one "
        "gets a note). A wrong password is INVALID_CREDENTIALS. Developers only.",
        permission_classes=[IsDeveloper],
    )
    async def request_email_change(
        self,
        info: Info,
        new_email: Annotated[str, strawberry.argument(description="The address to use.")],
        password: CurrentPassword,
    ) -> bool:
        async with info.context.transaction() as session:
            await accounts.request_email_change(
                session=session,
                settings=info.context.settings,
                developer=info.context.developer,
                new_email=new_email,
                password=password,
            )
        return True

    @strawberry.mutation(
        description="Switch to the new address with the token from the link (no session "
        "needed). CONFLICT if it was taken meanwhile; INVALID_TOKEN if used or expired."
    )
    async def confirm_email_change(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The token from the emailed link.")],
    ) -> Developer:
        async with info.context.transaction() as session:
            row = await accounts.confirm_email_change(session=session, token=token)
        return Developer.from_row(row)
