"""GraphQL types and the root field of the audit log (admins only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.errors import BadUserInput
from devportal.resolvers import audit
from devportal.resolvers.checks import parse_id
from devportal.schema.accounts import Account, account_of
from devportal.schema.arguments import After, First
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin
from devportal.schema.relay import Connection, find_node, visible_nodes


@strawberry.enum(description="What an audit entry records.")
class AuditAction(Enum):
    DEVELOPER_SIGNED_UP = strawberry.enum_value(
        "DEVELOPER_SIGNED_UP", description="A developer signed up."
    )
    DEVELOPER_APPROVED = strawberry.enum_value(
        "DEVELOPER_APPROVED",
        description="A developer account was approved (by an admin or the portal).",
    )
    DEVELOPER_REJECTED = strawberry.enum_value(
        "DEVELOPER_REJECTED", description="A developer account was declined."
    )
    DEVELOPER_REVOKED = strawberry.enum_value(
        "DEVELOPER_REVOKED", description="A developer account was withdrawn."
    )
    DEVELOPER_DELETED = strawberry.enum_value(
        "DEVELOPER_DELETED", description="A developer account was erased."
    )
    REGISTRATION_REQUESTED = strawberry.enum_value(
        "REGISTRATION_REQUESTED", description="An application asked for access to a version."
    )
    REGISTRATION_APPROVED = strawberry.enum_value(
        "REGISTRATION_APPROVED", description="A request was approved (by an admin or the version)."
    )
    REGISTRATION_REJECTED = strawberry.enum_value(
        "REGISTRATION_REJECTED", description="A request was rejected, or access withdrawn."
    )
    REGISTRATION_UNREGISTERED = strawberry.enum_value(
        "REGISTRATION_UNREGISTERED", description="A developer withdrew a registration."
    )
    REGISTRATION_DELETED = strawberry.enum_value(
        "REGISTRATION_DELETED", description="An admin deleted a registration."
    )
    CREDENTIAL_CREATED = strawberry.enum_value(
        "CREDENTIAL_CREATED", description="An API key was made."
    )
    CREDENTIAL_REVOKED = strawberry.enum_value(
        "CREDENTIAL_REVOKED", description="An API key was revoked."
    )
    SERVICE_CREATED = strawberry.enum_value("SERVICE_CREATED", description="A service was created.")
    SERVICE_UPDATED = strawberry.enum_value(
        "SERVICE_UPDATED", description="A service's slug, name or description changed."
    )
    SERVICE_PUBLISHED = strawberry.enum_value(
        "SERVICE_PUBLISHED", description="A service was published."
    )
    SERVICE_UNPUBLISHED = strawberry.enum_value(
        "SERVICE_UNPUBLISHED", description="A service was taken out of the catalog."
    )
    VERSION_CREATED = strawberry.enum_value(
        "VERSION_CREATED", description="A service version was created."
    )
    VERSION_REGISTRATION_ENABLED = strawberry.enum_value(
        "VERSION_REGISTRATION_ENABLED", description="A version started taking registrations."
    )
    VERSION_REGISTRATION_DISABLED = strawberry.enum_value(
        "VERSION_REGISTRATION_DISABLED", description="A version stopped taking registrations."
    )
    PORTAL_SETTINGS_CHANGED = strawberry.enum_value(
        "PORTAL_SETTINGS_CHANGED", description="The portal's settings changed."
    )
    ADMIN_INVITED = strawberry.enum_value("ADMIN_INVITED", description="An admin was invited.")
    ADMIN_JOINED = strawberry.enum_value("ADMIN_JOINED", description="An invited admin accepted.")
    ADMIN_REMOVED = strawberry.enum_value("ADMIN_REMOVED", description="An admin was removed.")


@strawberry.type(description="One change in the audit log.")
class AuditEntry(relay.Node):
    id: relay.NodeID[int]
    at: datetime = strawberry.field(description="When it happened.")
    action: AuditAction = strawberry.field(description="What happened.")
    summary: str = strawberry.field(
        description="One line a person can read, e.g. the reason given; never a secret."
    )
    row: strawberry.Private[models.AuditEntry]

    @strawberry.field(
        description="Who acted; null when the portal acted by itself (an automatic approval) "
        "or the account is deleted."
    )
    async def actor(self, info: Info) -> Account | None:
        session = info.context.session
        account: models.Admin | models.Developer | None = None
        if self.row.actor_admin_id is not None:
            account = await session.get(models.Admin, self.row.actor_admin_id)
        elif self.row.actor_developer_id is not None:
            account = await session.get(models.Developer, self.row.actor_developer_id)
        return account_of(account) if account is not None else None

    @strawberry.field(description="What was acted on; null once it is deleted.")
    async def subject(self, info: Info) -> relay.Node | None:
        if self.row.subject_type is None or self.row.subject_id is None:
            return None
        return await find_node(
            info, relay.GlobalID(self.row.subject_type, str(self.row.subject_id))
        )

    @classmethod
    def from_row(cls, row: models.AuditEntry) -> AuditEntry:
        assert row.id is not None
        return cls(
            id=row.id,
            at=row.at,
            action=AuditAction[row.action.name],
            summary=row.summary,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEntry | None]:
        async def fetch(pk: int) -> models.AuditEntry | None:
            if not isinstance(info.context.account, models.Admin):
                return None
            return await info.context.session.get(models.AuditEntry, pk)

        return await visible_nodes(node_ids, fetch, cls.from_row)


def _global(value: relay.GlobalID | None, kinds: set[str], what: str) -> tuple[str, int] | None:
    if value is None:
        return None
    pk = parse_id(value.node_id)
    if value.type_name not in kinds or pk is None:
        raise BadUserInput(f"`{what}` is not the ID of {' or '.join(sorted(kinds))}.")
    return value.type_name, pk


SUBJECTS = {"Admin", "Application", "Credential", "Developer", "Registration", "Service"}
SUBJECTS |= {"ServiceVersion", "ClientCredential"}


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Admins only: what happened, newest first, optionally narrowed.",
        permission_classes=[IsAdmin],
    )
    async def audit_log(
        self,
        info: Info,
        action: Annotated[
            AuditAction | None,
            strawberry.argument(description="Only entries of this action."),
        ] = None,
        actor_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(description="Only what this admin or developer did."),
        ] = None,
        subject_id: Annotated[
            relay.GlobalID | None, strawberry.argument(description="Only entries about this.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[AuditEntry]:
        where = audit.AuditFilter(
            action=models.AuditAction[action.name] if action is not None else None,
            actor=_global(actor_id, {"Admin", "Developer"}, "actorId"),
            subject=_global(subject_id, SUBJECTS, "subjectId"),
        )
        page = await audit.audit_log(
            session=info.context.session,
            admin=info.context.admin,
            where=where,
            first=first,
            after=after,
        )
        return Connection.of(page, AuditEntry.from_row)
