"""GraphQL types and mutations for API keys: generating, rotating and revoking them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import credentials
from devportal.schema.arguments import ApplicationId
from devportal.schema.context import Info
from devportal.schema.permissions import IsAuthenticated, IsDeveloper
from devportal.schema.relay import node_pk, visible_nodes


@strawberry.type(description="An API key of an application.")
class Credential(relay.Node):
    id: relay.NodeID[int]
    key_prefix: str = strawberry.field(
        description="The first characters of the key, enough to recognise it; never the whole key."
    )
    created_at: datetime = strawberry.field(description="When it was generated.")
    last_used_at: datetime | None = strawberry.field(
        description="When the gateway last checked it (to within a minute)."
    )
    name: str | None = strawberry.field(description="A label the developer chose, e.g. production.")
    expires_at: datetime | None = strawberry.field(
        description="When the key stops passing the gateway check; null means never."
    )

    @classmethod
    def from_row(cls, row: models.Credential) -> Credential:
        assert row.id is not None
        return cls(
            id=row.id,
            key_prefix=row.key_prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            name=row.name,
            expires_at=row.expires_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Credential | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: credentials.visible_credential(
                session=info.context.session, viewer=info.context.account, credential_id=pk
            ),
            cls.from_row,
        )


@strawberry.type(description="A key just generated.")
class NewCredential:
    credential: Credential = strawberry.field(description="The stored credential.")
    key: str = strawberry.field(description="The whole key. Returned once, here, and never again.")


CredentialName = Annotated[
    str | None,
    strawberry.argument(description="A label, e.g. production (at most 100 characters)."),
]
ExpiresAt = Annotated[
    datetime | None,
    strawberry.argument(
        description="When it stops working (UTC if no zone is given); within the portal's "
        "maxCredentialLifetimeDays, which is also the default when a limit is set."
    ),
]
GracePeriod = Annotated[
    int,
    strawberry.argument(
        description="Seconds the old key keeps working, 0 to 2592000 (30 days); "
        "it never lengthens the old key's life."
    ),
]


@strawberry.type
class CredentialMutation:
    @strawberry.mutation(
        description="Generate an API key for one of your applications; the whole key is "
        "returned once.",
        permission_classes=[IsDeveloper],
    )
    async def generate_credential(
        self,
        info: Info,
        application_id: ApplicationId,
        name: CredentialName = None,
        expires_at: ExpiresAt = None,
    ) -> NewCredential:
        async with info.context.transaction() as session:
            new = await credentials.generate_credential(
                session=session,
                developer=info.context.developer,
                application_id=node_pk(application_id, "Application"),
                name=name,
                expires_at=expires_at,
            )
        return NewCredential(credential=Credential.from_row(new.credential), key=new.key)

    @strawberry.mutation(
        description="Replace an API key: a new key with the same name and lifetime, the whole "
        "key returned once; the old key keeps working for the grace period, then expires.",
        permission_classes=[IsDeveloper],
    )
    async def rotate_credential(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The key to replace.")],
        grace_period_seconds: GracePeriod = 86400,
    ) -> NewCredential:
        async with info.context.transaction() as session:
            new = await credentials.rotate_credential(
                session=session,
                developer=info.context.developer,
                credential_id=node_pk(id, "Credential"),
                grace_seconds=grace_period_seconds,
            )
        return NewCredential(credential=Credential.from_row(new.credential), key=new.key)

    @strawberry.mutation(
        description="Revoke an API key: the gateway refuses it from the next call. Returns its "
        "ID. Admins may revoke any key (a leaked one).",
        permission_classes=[IsAuthenticated],
    )
    async def revoke_credential(
        self, info: Info, id: Annotated[relay.GlobalID, strawberry.argument(description="The key.")]
    ) -> strawberry.ID:
        async with info.context.transaction() as session:
            await credentials.revoke_credential(
                session=session,
                viewer=info.context.admin_or_developer,
                credential_id=node_pk(id, "Credential"),
            )
        return strawberry.ID(str(id))
