"""GraphQL types and root fields for the catalog: services and versions."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import catalog
from devportal.schema.arguments import After, First
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin
from devportal.schema.relay import Connection, node_pk, visible_nodes


@strawberry.enum(description="How consumers of a service version authenticate.")
class AuthStrategy(Enum):
    KEY_AUTH = strawberry.enum_value("KEY_AUTH", description="API keys from generateCredential.")
    OPENID_CONNECT = strawberry.enum_value(
        "OPENID_CONNECT", description="Tokens from an OpenID Connect provider."
    )


@strawberry.type(description="An API in the catalog.")
class Service(relay.Node):
    id: relay.NodeID[int]
    slug: str = strawberry.field(description="Unique, URL-safe name; used by the gateway check.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="What the service does.")
    published: bool = strawberry.field(description="Whether developers see it in the catalog.")

    @strawberry.field(description="The service's versions, oldest first.")
    async def versions(self, info: Info) -> list[ServiceVersion]:
        rows = await info.context.loaders.versions_of_service.load(self.id)
        return [ServiceVersion.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Service) -> Service:
        assert row.id is not None
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            description=row.description,
            published=row.published,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Service | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: catalog.visible_service(
                session=info.context.session, viewer=info.context.account, service_id=pk
            ),
            cls.from_row,
        )


@strawberry.type(description="One version of a service, e.g. v1; registrations are per version.")
class ServiceVersion(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="e.g. v1")
    app_registration_enabled: bool = strawberry.field(
        description="Whether applications can register for this version."
    )
    auto_approve: bool = strawberry.field(
        description="Whether registrations are approved at once, without an admin."
    )
    auth_strategy: AuthStrategy = strawberry.field(description="How consumers authenticate.")
    service_id: strawberry.Private[int]

    @strawberry.field(description="The service this is a version of.")
    async def service(self, info: Info) -> Service:
        row = await info.context.loaders.service.load(self.service_id)
        assert row is not None
        return Service.from_row(row)

    @classmethod
    def from_row(cls, row: models.ServiceVersion) -> ServiceVersion:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            app_registration_enabled=row.app_registration_enabled,
            auto_approve=row.auto_approve,
            auth_strategy=AuthStrategy[row.auth_strategy.name],
            service_id=row.service_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ServiceVersion | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: catalog.visible_version(
                session=info.context.session, viewer=info.context.account, version_id=pk
            ),
            cls.from_row,
        )


@strawberry.input(description="A service's catalog entry.")
class ServiceInput:
    slug: str = strawberry.field(
        description="Unique; lower-case letters, digits and dashes (at most 100)."
    )
    name: str = strawberry.field(description="Display name, 1 to 200 characters.")
    description: str = strawberry.field(description="What the service does.")

    def data(self) -> catalog.ServiceData:
        return catalog.ServiceData(slug=self.slug, name=self.name, description=self.description)


ServiceId = Annotated[relay.GlobalID, strawberry.argument(description="The service's ID.")]
VersionId = Annotated[relay.GlobalID, strawberry.argument(description="The service version's ID.")]


@strawberry.type
class CatalogQuery:
    @strawberry.field(
        description="Published services, for developers (and for anyone when the portal is "
        "public), oldest first."
    )
    async def catalog(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Only services whose name, slug or description "
                "contains this (any case)."
            ),
        ] = None,
    ) -> Connection[Service]:
        page = await catalog.catalog(
            session=info.context.session,
            viewer=info.context.account,
            search=search,
            first=first,
            after=after,
        )
        return Connection.of(page, Service.from_row)

    @strawberry.field(description="A published service by its slug (any service, for admins).")
    async def service(
        self, info: Info, slug: Annotated[str, strawberry.argument(description="Its slug.")]
    ) -> Service | None:
        row = await catalog.service_by_slug(
            session=info.context.session, viewer=info.context.account, slug=slug
        )
        return Service.from_row(row) if row else None

    @strawberry.field(
        description="All services, published or not. Admins only.", permission_classes=[IsAdmin]
    )
    async def services(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Service]:
        page = await catalog.list_services(
            session=info.context.session, admin=info.context.admin, first=first, after=after
        )
        return Connection.of(page, Service.from_row)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(
        description="Add a service (unpublished). Admins only.", permission_classes=[IsAdmin]
    )
    async def create_service(
        self,
        info: Info,
        input: Annotated[ServiceInput, strawberry.argument(description="The new service.")],
    ) -> Service:
        async with info.context.transaction() as session:
            row = await catalog.create_service(
                session=session, admin=info.context.admin, data=input.data()
            )
        return Service.from_row(row)

    @strawberry.mutation(
        description="Change a service's catalog entry. Admins only.", permission_classes=[IsAdmin]
    )
    async def update_service(
        self,
        info: Info,
        id: ServiceId,
        input: Annotated[ServiceInput, strawberry.argument(description="The new entry.")],
    ) -> Service:
        async with info.context.transaction() as session:
            row = await catalog.update_service(
                session=session,
                admin=info.context.admin,
                service_id=node_pk(id, "Service"),
                data=input.data(),
            )
        return Service.from_row(row)

    @strawberry.mutation(
        description="Show a service in the catalog, or hide it. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def publish_service(
        self,
        info: Info,
        id: ServiceId,
        published: Annotated[bool, strawberry.argument(description="Show (true) or hide.")],
    ) -> Service:
        async with info.context.transaction() as session:
            row = await catalog.publish_service(
                session=session,
                admin=info.context.admin,
                service_id=node_pk(id, "Service"),
                published=published,
            )
        return Service.from_row(row)

    @strawberry.mutation(
        description="Add a version to a service. Admins only.", permission_classes=[IsAdmin]
    )
    async def create_service_version(
        self,
        info: Info,
        service_id: ServiceId,
        name: Annotated[
            str,
            strawberry.argument(
                description="Unique within the service, and the last segment of its gateway "
                "path: 1 to 50 letters, digits, dots, dashes or underscores."
            ),
        ],
    ) -> ServiceVersion:
        async with info.context.transaction() as session:
            row = await catalog.create_service_version(
                session=session,
                admin=info.context.admin,
                service_id=node_pk(service_id, "Service"),
                name=name,
            )
        return ServiceVersion.from_row(row)

    @strawberry.mutation(
        description="Let applications register for a version. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def enable_app_registration(
        self,
        info: Info,
        service_version_id: VersionId,
        auto_approve: Annotated[
            bool, strawberry.argument(description="Approve registrations without an admin.")
        ] = False,
        auth_strategy: Annotated[
            AuthStrategy, strawberry.argument(description="How consumers authenticate.")
        ] = AuthStrategy.KEY_AUTH,
    ) -> ServiceVersion:
        async with info.context.transaction() as session:
            row = await catalog.enable_app_registration(
                session=session,
                admin=info.context.admin,
                version_id=node_pk(service_version_id, "ServiceVersion"),
                auto_approve=auto_approve,
                auth_strategy=models.AuthStrategy[auth_strategy.name],
            )
        return ServiceVersion.from_row(row)

    @strawberry.mutation(
        description="Stop registrations for a version; existing ones stay, but the gateway "
        "denies the version until it is enabled again. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def disable_app_registration(
        self, info: Info, service_version_id: VersionId
    ) -> ServiceVersion:
        async with info.context.transaction() as session:
            row = await catalog.disable_app_registration(
                session=session,
                admin=info.context.admin,
                version_id=node_pk(service_version_id, "ServiceVersion"),
            )
        return ServiceVersion.from_row(row)
