"""The root Subscription type: live registration and developer status changes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Annotated

import strawberry
from starlette.websockets import WebSocket
from strawberry import relay

from devportal import models
from devportal.events import DeveloperStatusChanged, RegistrationChanged
from devportal.resolvers import live
from devportal.schema.accounts import Developer, DeveloperStatus
from devportal.schema.context import Context, Info
from devportal.schema.permissions import IsAdmin, IsAuthenticated
from devportal.schema.registrations import Registration, RegistrationStatus
from devportal.schema.relay import node_pk
from devportal.schema.shared import subscribed

TOO_SLOW = 1008  # WebSocket close code: policy violation


@strawberry.enum(description="What happened to a registration.")
class RegistrationEventKind(Enum):
    CREATED = strawberry.enum_value("CREATED", description="An application asked for access.")
    APPROVED = strawberry.enum_value("APPROVED", description="An admin approved it.")
    REJECTED = strawberry.enum_value("REJECTED", description="An admin rejected or withdrew it.")
    UNREGISTERED = strawberry.enum_value(
        "UNREGISTERED", description="The developer withdrew it (or deleted the application)."
    )
    DELETED = strawberry.enum_value("DELETED", description="An admin deleted it.")


@strawberry.type(description="A change to a registration.")
class RegistrationEvent:
    kind: RegistrationEventKind = strawberry.field(description="What happened.")
    registration: Registration = strawberry.field(
        description="The registration as it is after the event (as it was just before, for "
        "UNREGISTERED and DELETED)."
    )
    at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def of(cls, event: RegistrationChanged) -> RegistrationEvent:
        application = models.Application(
            id=event.application_id,
            developer_id=event.developer_id,
            team_id=event.team_id,
            name=event.application_name,
            reference_id=event.application_reference_id,
            description=event.application_description,
            created_at=event.application_created_at,
            updated_at=event.application_updated_at,
        )
        registration = Registration(
            id=event.registration_id,
            status=RegistrationStatus[event.status],
            created_at=event.created_at,
            updated_at=event.updated_at,
            application_id=event.application_id,
            service_version_id=event.service_version_id,
            application_as_it_was=application,
        )
        return cls(kind=RegistrationEventKind[event.kind], registration=registration, at=event.at)


def _drop_connection(context: Context) -> Callable[[], None] | None:
    """When a subscriber overflows, close its WebSocket: it is not reading."""
    websocket = context.request
    if not isinstance(websocket, WebSocket):
        return None

    async def close() -> None:
        with contextlib.suppress(Exception):
            await websocket.close(code=TOO_SLOW, reason="Too slow: too many undelivered events")

    def on_overflow() -> None:
        task = asyncio.get_running_loop().create_task(close())
        _background.add(task)
        task.add_done_callback(_background.discard)

    return on_overflow


_background: set[asyncio.Task[None]] = set()


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws or graphql-ws).")
class Subscription:
    @strawberry.subscription(
        description="Developers: events on their own applications' registrations (optionally "
        "one application). Admins: all.",
        permission_classes=[IsAuthenticated],
    )
    async def registration_events(
        self,
        info: Info,
        application_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(description="Only this application's registrations."),
        ] = None,
    ) -> AsyncGenerator[RegistrationEvent, None]:
        context = info.context
        assert context.auth is not None
        interest = partial(
            live.registration_interest,
            db=context.db,
            viewer=context.auth,
            application_id=node_pk(application_id, "Application") if application_id else None,
        )
        async for event in subscribed(info, interest, _drop_connection(context)):
            assert isinstance(event, RegistrationChanged)
            yield RegistrationEvent.of(event)
            await context.reset()

    @strawberry.subscription(
        description="Admins only: developers as their status changes (new sign-ups waiting for "
        "approval included).",
        permission_classes=[IsAdmin],
    )
    async def developer_status_changed(self, info: Info) -> AsyncGenerator[Developer, None]:
        context = info.context

        async def interest() -> live.Interest:
            return live.developer_status_interest(context.admin)

        async for event in subscribed(info, interest, _drop_connection(context)):
            assert isinstance(event, DeveloperStatusChanged)
            yield Developer(
                id=event.developer_id,
                email=event.email,
                full_name=event.full_name,
                organization=event.organization,
                status=DeveloperStatus[event.status],
                created_at=event.created_at or event.at,
            )
