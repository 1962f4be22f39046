"""GraphQL types and root fields for webhooks: admins only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from devportal import models
from devportal.models import Admin
from devportal.resolvers import webhooks
from devportal.schema.arguments import After, First, Id
from devportal.schema.context import Info
from devportal.schema.permissions import IsAdmin
from devportal.schema.relay import Connection, node_pk, visible_nodes


@strawberry.enum(description="What happened, as a webhook tells it.")
class WebhookEventType(Enum):
    DEVELOPER_SIGNED_UP = strawberry.enum_value(
        "DEVELOPER_SIGNED_UP", description="`developer.signed_up`: a new, unconfirmed account."
    )
    DEVELOPER_STATUS_CHANGED = strawberry.enum_value(
        "DEVELOPER_STATUS_CHANGED",
        description="`developer.status_changed`: confirmed, approved, rejected or revoked.",
    )
    REGISTRATION_CREATED = strawberry.enum_value(
        "REGISTRATION_CREATED", description="`registration.created`: an application asked."
    )
    REGISTRATION_APPROVED = strawberry.enum_value(
        "REGISTRATION_APPROVED", description="`registration.approved`: by an admin or at once."
    )
    REGISTRATION_REJECTED = strawberry.enum_value(
        "REGISTRATION_REJECTED", description="`registration.rejected`, or access withdrawn."
    )
    REGISTRATION_UNREGISTERED = strawberry.enum_value(
        "REGISTRATION_UNREGISTERED",
        description="`registration.unregistered`: withdrawn by the developer, or its "
        "application deleted.",
    )
    REGISTRATION_DELETED = strawberry.enum_value(
        "REGISTRATION_DELETED", description="`registration.deleted` by an admin."
    )
    CREDENTIAL_CREATED = strawberry.enum_value(
        "CREDENTIAL_CREATED", description="`credential.created`: a new key (its prefix only)."
    )
    CREDENTIAL_REVOKED = strawberry.enum_value(
        "CREDENTIAL_REVOKED", description="`credential.revoked`: a key deleted."
    )
    CREDENTIAL_EXPIRING = strawberry.enum_value(
        "CREDENTIAL_EXPIRING", description="`credential.expiring`: a key expires soon."
    )


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not delivered yet; will be tried.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Every attempt failed; `redeliverWebhook` tries again."
    )


@strawberry.input(description="An endpoint and the events it receives.")
class WebhookInput:
    url: str = strawberry.field(
        description="https:// (http:// only where the operator allows it; see behaviour.md)."
    )
    events: list[WebhookEventType] = strawberry.field(
        description="The event types to send it (at least one)."
    )
    enabled: bool = strawberry.field(
        default=True, description="False: no deliveries, until it is enabled again."
    )
    description: str | None = strawberry.field(
        default=None, description="What it is for (at most 2,000 characters)."
    )

    def data(self) -> webhooks.WebhookData:
        return webhooks.WebhookData(
            url=self.url,
            events=[models.WebhookEventType[event.name] for event in self.events],
            enabled=self.enabled,
            description=self.description,
        )


@strawberry.type(description="One event for one endpoint, and how sending it went.")
class WebhookDelivery(relay.Node):
    id: relay.NodeID[int]
    event_type: WebhookEventType = strawberry.field(description="What happened.")
    event_id: str = strawberry.field(
        description="The webhook-id header: the same on every retry of one event."
    )
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="How many times it was sent.")
    response_status: int | None = strawberry.field(
        description="The receiver's last HTTP status; null if it never answered."
    )
    created_at: datetime = strawberry.field(description="When the event happened.")
    delivered_at: datetime | None = strawberry.field(description="When the receiver took it.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next, while PENDING."
    )

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        assert row.id is not None
        return cls(
            id=row.id,
            event_type=WebhookEventType[row.event_type.value],
            event_id=row.event_id,
            status=WebhookDeliveryStatus[row.status.value],
            attempts=row.attempts,
            response_status=row.response_status,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            next_attempt_at=row.next_attempt_at if row.status == "PENDING" else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WebhookDelivery | None]:
        if not isinstance(info.context.account, Admin):
            return [None for _ in node_ids]
        return await visible_nodes(
            node_ids,
            lambda pk: webhooks.get_delivery(session=info.context.session, delivery_id=pk),
            cls.from_row,
        )


@strawberry.type(description="An endpoint that receives the portal's events, signed.")
class Webhook(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    events: list[WebhookEventType] = strawberry.field(description="The event types it receives.")
    enabled: bool = strawberry.field(description="Whether it receives deliveries now.")
    description: str | None = strawberry.field(description="What it is for.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @strawberry.field(description="Newest first.")
    async def deliveries(
        self,
        info: Info,
        status: Annotated[
            WebhookDeliveryStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[WebhookDelivery]:
        page = await webhooks.list_deliveries(
            session=info.context.session,
            webhook_id=self.id,
            status=models.DeliveryStatus[status.name] if status else None,
            first=first,
            after=after,
        )
        return Connection.of(page, WebhookDelivery.from_row)

    @classmethod
    def from_row(cls, row: models.Webhook) -> Webhook:
        assert row.id is not None
        return cls(
            id=row.id,
            url=row.url,
            events=[WebhookEventType[event.value] for event in row.event_types],
            enabled=row.enabled,
            description=row.description,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Webhook | None]:
        if not isinstance(info.context.account, Admin):
            return [None for _ in node_ids]
        return await visible_nodes(
            node_ids,
            lambda pk: webhooks.get_webhook(session=info.context.session, webhook_id=pk),
            cls.from_row,
        )


@strawberry.type(description="An endpoint just created.")
class NewWebhook:
    webhook: Webhook = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The signing secret (whsec_ then base64). Returned once, here, and never again."
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="Admins only: webhook endpoints, oldest first.", permission_classes=[IsAdmin]
    )
    async def webhooks(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Webhook]:
        page = await webhooks.list_webhooks(session=info.context.session, first=first, after=after)
        return Connection.of(page, Webhook.from_row)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Register an endpoint; its signing secret is returned this once. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def create_webhook(
        self,
        info: Info,
        input: Annotated[WebhookInput, strawberry.argument(description="The new endpoint.")],
    ) -> NewWebhook:
        data = await webhooks.checked_input(info.context.settings, input.data())
        async with info.context.transaction() as session:
            new = await webhooks.create_webhook(
                session=session, admin=info.context.admin, data=data
            )
        return NewWebhook(webhook=Webhook.from_row(new.webhook), secret=new.secret)

    @strawberry.mutation(
        description="Change an endpoint (its secret stays). Admins only.",
        permission_classes=[IsAdmin],
    )
    async def update_webhook(
        self,
        info: Info,
        id: Id,
        input: Annotated[WebhookInput, strawberry.argument(description="All of it, anew.")],
    ) -> Webhook:
        webhook_id = node_pk(id, "Webhook")
        data = await webhooks.checked_input(info.context.settings, input.data())
        async with info.context.transaction() as session:
            row = await webhooks.update_webhook(
                session=session, admin=info.context.admin, webhook_id=webhook_id, data=data
            )
        return Webhook.from_row(row)

    @strawberry.mutation(
        description="Delete an endpoint and its deliveries; returns its ID. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def delete_webhook(self, info: Info, id: Id) -> strawberry.ID:
        async with info.context.transaction() as session:
            await webhooks.delete_webhook(
                session=session, admin=info.context.admin, webhook_id=node_pk(id, "Webhook")
            )
        return strawberry.ID(str(id))

    @strawberry.mutation(
        description="Send a delivery again now (a new attempt with the same eventId). Admins only.",
        permission_classes=[IsAdmin],
    )
    async def redeliver_webhook(
        self,
        info: Info,
        delivery_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The delivery's ID.")
        ],
    ) -> WebhookDelivery:
        async with info.context.transaction() as session:
            row = await webhooks.redeliver(
                session=session,
                admin=info.context.admin,
                delivery_id=node_pk(delivery_id, "WebhookDelivery"),
            )
        return WebhookDelivery.from_row(row)
