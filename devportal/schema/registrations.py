"""GraphQL types and root fields for registrations: applications asking for access."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.resolvers import registration_decisions, registrations
from devportal.schema.accounts import Admin, decided_by
from devportal.schema.applications import Application
from devportal.schema.arguments import After, ApplicationId, First
from devportal.schema.catalog import ServiceVersion, VersionId
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin, IsDeveloper
from devportal.schema.relay import Connection, node_pk, visible_nodes


@strawberry.enum(description="Where a registration stands.")
class RegistrationStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waits for an admin's decision.")
    APPROVED = strawberry.enum_value("APPROVED", description="The application may call it.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused, or access withdrawn.")


@strawberry.type(description="An application's access to one service version.")
class Registration(relay.Node):
    id: relay.NodeID[int]
    status: RegistrationStatus = strawberry.field(description="Where it stands.")
    created_at: datetime = strawberry.field(description="When the application asked.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    message: str | None = strawberry.field(
        default=None, description="What the developer wrote when asking for access."
    )
    reason: str | None = strawberry.field(
        default=None, description="The reason an admin gave with a rejection; null otherwise."
    )
    decided_at: datetime | None = strawberry.field(
        default=None,
        description="When the last decision was made (by an admin or the version itself).",
    )
    decided_by_id: strawberry.Private[int | None] = None
    application_id: strawberry.Private[int]
    service_version_id: strawberry.Private[int]
    application_as_it_was: strawberry.Private[models.Application | None] = None

    @strawberry.field(
        description="The admin who made the last decision; null while pending and when the "
        "version approved it by itself."
    )
    async def decided_by(self, info: Info) -> Admin | None:
        return await decided_by(info, self.decided_by_id)

    @strawberry.field(description="The application asking for access.")
    async def application(self, info: Info) -> Application:
        # An event carries its application as the event left it: its subscribers, however
        # many, read nothing, and an event about a deleted application still names it.
        row = self.application_as_it_was or await info.context.loaders.application.load(
            self.application_id
        )
        assert row is not None
        return Application.from_row(row)

    @strawberry.field(description="The service version it asks for.")
    async def service_version(self, info: Info) -> ServiceVersion:
        row = await info.context.loaders.version.load(self.service_version_id)
        assert row is not None
        return ServiceVersion.from_row(row)

    @classmethod
    def from_row(cls, row: models.Registration) -> Registration:
        assert row.id is not None
        return cls(
            id=row.id,
            status=RegistrationStatus[row.status.name],
            created_at=row.created_at,
            updated_at=row.updated_at,
            message=row.message,
            reason=row.reason,
            decided_at=row.decided_at,
            decided_by_id=row.decided_by_id,
            application_id=row.application_id,
            service_version_id=row.service_version_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Registration | None]:
        return await visible_nodes(
            node_ids,
            lambda pk: registrations.visible_registration(
                session=info.context.session, viewer=info.context.account, registration_id=pk
            ),
            cls.from_row,
        )


RegistrationId = Annotated[
    relay.GlobalID, strawberry.argument(description="The registration's ID.")
]


@strawberry.type
class RegistrationQuery:
    @strawberry.field(
        description="Application registrations waiting for a decision, oldest first. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def pending_registrations(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Registration]:
        page = await registration_decisions.list_registrations(
            session=info.context.session,
            admin=info.context.admin,
            status=models.RegistrationStatus.PENDING,
            first=first,
            after=after,
        )
        return Connection.of(page, Registration.from_row)

    @strawberry.field(
        description="Registrations, oldest first, optionally of one status. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def registrations(
        self,
        info: Info,
        status: Annotated[
            RegistrationStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Registration]:
        page = await registration_decisions.list_registrations(
            session=info.context.session,
            admin=info.context.admin,
            status=models.RegistrationStatus[status.name] if status else None,
            first=first,
            after=after,
        )
        return Connection.of(page, Registration.from_row)


Message = Annotated[
    str | None,
    strawberry.argument(description="A note for the admins who decide (at most 2,000 characters)."),
]
Reason = Annotated[
    str | None,
    strawberry.argument(
        description="Why, for the developer (shown to them and mailed); at most 2,000 characters."
    ),
]


@strawberry.type
class RegistrationMutation:
    @strawberry.mutation(
        description="Ask for access for one of your applications to a service version.",
        permission_classes=[IsDeveloper],
    )
    async def register_application(
        self,
        info: Info,
        application_id: ApplicationId,
        service_version_id: VersionId,
        message: Message = None,
    ) -> Registration:
        async with info.context.transaction() as session:
            row = await registrations.register_application(
                session=session,
                settings=info.context.settings,
                developer=info.context.developer,
                application_id=node_pk(application_id, "Application"),
                version_id=node_pk(service_version_id, "ServiceVersion"),
                message=message,
            )
        return Registration.from_row(row)

    @strawberry.mutation(
        description="Withdraw one of your registrations, whatever its status; returns its ID.",
        permission_classes=[IsDeveloper],
    )
    async def unregister_application(
        self, info: Info, registration_id: RegistrationId
    ) -> strawberry.ID:
        async with info.context.transaction() as session:
            await registrations.unregister_application(
                session=session,
                developer=info.context.developer,
                registration_id=node_pk(registration_id, "Registration"),
            )
        return strawberry.ID(str(registration_id))

    @strawberry.mutation(
        description="Approve a pending registration. Admins only.", permission_classes=[IsAdmin]
    )
    async def approve_registration(self, info: Info, id: RegistrationId) -> Registration:
        async with info.context.transaction() as session:
            row = await registration_decisions.approve_registration(
                session=session,
                settings=info.context.settings,
                admin=info.context.admin,
                registration_id=node_pk(id, "Registration"),
            )
        return Registration.from_row(row)

    @strawberry.mutation(
        description="Reject a pending registration, or withdraw an approved one. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def reject_registration(
        self, info: Info, id: RegistrationId, reason: Reason = None
    ) -> Registration:
        async with info.context.transaction() as session:
            row = await registration_decisions.reject_registration(
                session=session,
                settings=info.context.settings,
                admin=info.context.admin,
                registration_id=node_pk(id, "Registration"),
                reason=reason,
            )
        return Registration.from_row(row)

    @strawberry.mutation(
        description="Delete a registration in any status (the developer may ask again); "
        "returns its ID. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def delete_registration(self, info: Info, id: RegistrationId) -> strawberry.ID:
        async with info.context.transaction() as session:
            await registrations.delete_registration(
                session=session,
                admin=info.context.admin,
                registration_id=node_pk(id, "Registration"),
            )
        return strawberry.ID(str(id))
