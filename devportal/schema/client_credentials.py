"""GraphQL types and mutations for OAuth client credentials (``POST /oauth/token``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import client_credentials
from devportal.schema.arguments import ApplicationId
from devportal.schema.context import Info
from devportal.schema.credentials import CredentialName, ExpiresAt
from devportal.schema.permissions import IsAuthenticated, IsDeveloper
from devportal.schema.relay import node_pk, visible_nodes


@strawberry.type(
    description="An OAuth 2.0 client of an application: it gets access tokens from "
    "POST /oauth/token with the client credentials grant."
)
class ClientCredential(relay.Node):
    id: relay.NodeID[int]
    client_id: str = strawberry.field(description="The OAuth client_id (not secret).")
    name: str | None = strawberry.field(description="A label the developer chose.")
    created_at: datetime = strawberry.field(description="When it was generated.")
    last_used_at: datetime | None = strawberry.field(
        description="When a token was last issued with it (to within a minute)."
    )
    expires_at: datetime | None = strawberry.field(
        description="When its secret stops working (and its tokens with it); null means never."
    )

    @classmethod
    def from_row(cls, row: models.ClientCredential) -> ClientCredential:
        assert row.id is not None
        return cls(
            id=row.id,
            client_id=row.client_id,
            name=row.name,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ClientCredential | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: client_credentials.visible_client_credential(
                session=info.context.session, viewer=info.context.account, credential_id=pk
            ),
            cls.from_row,
        )


@strawberry.type(description="A client credential just generated.")
class NewClientCredential:
    credential: ClientCredential = strawberry.field(description="The stored client credential.")
    client_secret: str = strawberry.field(
        description="The client secret. Returned once, here, and never again."
    )


@strawberry.type
class ClientCredentialMutation:
    @strawberry.mutation(
        description="Generate an OAuth client credential for one of your applications; "
        "the secret is returned once.",
        permission_classes=[IsDeveloper],
    )
    async def generate_client_credential(
        self,
        info: Info,
        application_id: ApplicationId,
        name: CredentialName = None,
        expires_at: ExpiresAt = None,
    ) -> NewClientCredential:
        async with info.context.transaction() as session:
            new = await client_credentials.generate_client_credential(
                session=session,
                developer=info.context.developer,
                application_id=node_pk(application_id, "Application"),
                name=name,
                expires_at=expires_at,
            )
        return NewClientCredential(
            credential=ClientCredential.from_row(new.credential), client_secret=new.secret
        )

    @strawberry.mutation(
        description="Revoke a client credential: no new tokens, and the gateway refuses the "
        "tokens it was given from the next call. Returns its ID. Admins may revoke any.",
        permission_classes=[IsAuthenticated],
    )
    async def revoke_client_credential(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The client credential.")],
    ) -> strawberry.ID:
        async with info.context.transaction() as session:
            await client_credentials.revoke_client_credential(
                session=session,
                viewer=info.context.admin_or_developer,
                credential_id=node_pk(id, "ClientCredential"),
            )
        return strawberry.ID(str(id))
