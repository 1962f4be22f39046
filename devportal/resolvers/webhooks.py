"""Webhooks: endpoints admins manage, and ``queue_webhook``, which every change calls.

``queue_webhook`` runs inside the transaction that makes the change: it writes one
delivery per enabled endpoint subscribed to the event type, and the worker
(``devportal.webhooks``) wakes once the transaction commits. A rolled-back change
sends nothing; a committed one is delivered, retried until it lands or fails.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import execute_update, mark_webhooks_queued
from devportal.errors import BadUserInput, Conflict, NotFound
from devportal.models import (
    Admin,
    Application,
    ClientCredential,
    Credential,
    DeliveryStatus,
    Developer,
    Registration,
    Webhook,
    WebhookDelivery,
    WebhookEventType,
)
from devportal.models.base import utcnow
from devportal.resolvers.checks import optional_text
from devportal.resolvers.pagination import Page, paginate
from devportal.security import new_token
from devportal.settings import Settings
from devportal.webhooks import targets
from devportal.webhooks.worker import waiting

MAX_WEBHOOKS = 50
KEEP_DELIVERIES = timedelta(days=30)
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


# Queueing: called by every change that is an event -------------------------------------


async def queue_webhook(
    session: AsyncSession, event_type: WebhookEventType | str, data: dict[str, Any]
) -> None:
    """Queue ``data`` as an event of ``event_type`` for every enabled endpoint that
    takes it, in ``session``'s transaction. Every endpoint gets the same body and
    ``webhook-id``; ``data`` must hold IDs, statuses and names only, never a secret."""
    event_type = WebhookEventType(event_type)
    endpoints = await session.execute(
        sa.select(col(Webhook.id), col(Webhook.events)).where(col(Webhook.enabled))
    )
    chosen = [row.id for row in endpoints if event_type.value in row.events.split(",")]
    if not chosen:
        return
    now = utcnow()
    body = {"type": event_type.wire_name, "timestamp": _iso(now), "data": data}
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    event_id = "msg_" + new_token(18)
    for webhook_id in chosen:
        session.add(
            WebhookDelivery(
                webhook_id=webhook_id,
                event_type=event_type,
                event_id=event_id,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
        )
    mark_webhooks_queued(session)


def global_id(type_name: str, pk: int | None) -> str:
    """The object's global ID, as the GraphQL API gives it (Relay: base64 of Type:pk)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def developer_data(developer: Developer) -> dict[str, Any]:
    return {
        "id": global_id("Developer", developer.id),
        "status": developer.status.value,
        "fullName": developer.full_name,
        "organization": developer.organization,
    }


def registration_data(registration: Registration, application: Application) -> dict[str, Any]:
    return {
        "id": global_id("Registration", registration.id),
        "status": registration.status.value,
        "applicationId": global_id("Application", application.id),
        "serviceVersionId": global_id("ServiceVersion", registration.service_version_id),
        "developerId": global_id("Developer", application.developer_id),
        "applicationName": application.name,
        "applicationReferenceId": application.reference_id,
    }


def credential_data(
    credential: Credential | ClientCredential, application: Application
) -> dict[str, Any]:
    """A key by its prefix (as ``Credential.keyPrefix`` shows it), a client credential by
    its client ID: never the key or the secret."""
    shown = (
        {"clientId": credential.client_id}
        if isinstance(credential, ClientCredential)
        else {"keyPrefix": credential.key_prefix}
    )
    return {
        "id": global_id(type(credential).__name__, credential.id),
        "name": credential.name,
        **shown,
        "expiresAt": _iso(credential.expires_at) if credential.expires_at else None,
        "applicationId": global_id("Application", application.id),
        "developerId": global_id("Developer", application.developer_id),
        "applicationName": application.name,
    }


def expiring_data(row: Any, application: Application) -> dict[str, Any]:
    """A key or client credential about to expire: a row of ``type_name`` (the GraphQL
    type), ``id``, ``label`` (the key's prefix or the client ID), ``name``, ``expires_at``."""
    shown = "keyPrefix" if row.type_name == "Credential" else "clientId"
    return {
        "id": global_id(row.type_name, row.id),
        "name": row.name,
        shown: row.label,
        "expiresAt": _iso(row.expires_at),
        "applicationId": global_id("Application", application.id),
        "developerId": global_id("Developer", application.developer_id),
        "applicationName": application.name,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# Endpoints: admins only -----------------------------------------------------------------


@dataclass(frozen=True)
class WebhookData:
    url: str
    events: list[WebhookEventType]
    enabled: bool = True
    description: str | None = None


@dataclass(frozen=True)
class NewWebhook:
    webhook: Webhook
    secret: str


async def checked_input(settings: Settings, data: WebhookData) -> WebhookData:
    """The input, checked; the URL's host resolved. Call it before the transaction:
    resolving a name may take seconds, and no transaction should wait on it."""
    try:
        target = await targets.check(
            data.url,
            allow_http=settings.webhook_allow_http,
            allow_private=settings.webhook_allow_private,
        )
    except targets.RefusedTarget as exc:
        raise BadUserInput(str(exc)) from None
    if not data.events:
        raise BadUserInput("Choose at least one event type.")
    url = f"{target.scheme}://{target.netloc}{target.path}"
    if len(url) > targets.MAX_URL:
        raise BadUserInput(f"The URL must be at most {targets.MAX_URL} characters.")
    chosen = set(data.events)
    return WebhookData(
        url=url,
        events=[event for event in WebhookEventType if event in chosen],
        enabled=data.enabled,
        description=optional_text(data.description, "The description", limit=2000, lines=True),
    )


async def create_webhook(*, session: AsyncSession, admin: Admin, data: WebhookData) -> NewWebhook:
    """A new endpoint with a new signing secret, shown this once."""
    held = await session.scalar(sa.select(sa.func.count()).select_from(Webhook))
    if (held or 0) >= MAX_WEBHOOKS:
        raise Conflict(f"A portal holds at most {MAX_WEBHOOKS} webhooks; delete one first.")
    # 32 random bytes: Standard Webhooks asks for 24 to 64.
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    webhook = Webhook(secret=secret, url=data.url, events="", enabled=data.enabled)
    _apply(webhook, data)
    session.add(webhook)
    await session.flush()
    return NewWebhook(webhook=webhook, secret=secret)


async def update_webhook(
    *, session: AsyncSession, admin: Admin, webhook_id: int, data: WebhookData
) -> Webhook:
    webhook = await get_webhook(session=session, webhook_id=webhook_id)
    if webhook is None:
        raise NotFound("No such webhook.")
    _apply(webhook, data)
    webhook.updated_at = utcnow()
    await session.flush()
    return webhook


def _apply(webhook: Webhook, data: WebhookData) -> None:
    webhook.url = data.url
    webhook.events = ",".join(event.value for event in data.events)
    webhook.enabled = data.enabled
    webhook.description = data.description


async def delete_webhook(*, session: AsyncSession, admin: Admin, webhook_id: int) -> None:
    """The endpoint and its deliveries, sent or not."""
    deleted = await execute_update(session, sa.delete(Webhook).where(col(Webhook.id) == webhook_id))
    if not deleted:
        raise NotFound("No such webhook.")


async def get_webhook(*, session: AsyncSession, webhook_id: int) -> Webhook | None:
    return await session.get(Webhook, webhook_id)


async def get_delivery(*, session: AsyncSession, delivery_id: int) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id)


async def list_webhooks(
    *, session: AsyncSession, first: int | None, after: str | None
) -> Page[Webhook]:
    """Oldest first."""
    return await paginate(
        session, sa.select(Webhook), key=col(Webhook.id), first=first, after=after
    )


async def list_deliveries(
    *,
    session: AsyncSession,
    webhook_id: int,
    status: DeliveryStatus | None,
    first: int | None,
    after: str | None,
) -> Page[WebhookDelivery]:
    """One endpoint's deliveries, newest first, optionally of one status."""
    statement = sa.select(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
    if status is not None:
        statement = statement.where(col(WebhookDelivery.status) == status)
    return await paginate(
        session,
        statement,
        key=col(WebhookDelivery.id),
        first=first,
        after=after,
        newest_first=True,
    )


async def redeliver(*, session: AsyncSession, admin: Admin, delivery_id: int) -> WebhookDelivery:
    """Due again now, whatever its status, with the same ``webhook-id``. One attempt more:
    if it fails, the back-off goes on from its attempts so far (a FAILED one fails again)."""
    delivery = await get_delivery(session=session, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound("No such webhook delivery.")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.delivered_at = None
    await session.flush()
    mark_webhooks_queued(session)
    return delivery


async def prune_deliveries(*, session: AsyncSession, now: datetime) -> int:
    """Delete deliveries delivered or failed over ``KEEP_DELIVERIES`` ago (housekeeping)."""
    return await execute_update(
        session,
        sa.delete(WebhookDelivery).where(
            col(WebhookDelivery.status).in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),
            col(WebhookDelivery.created_at) <= now - KEEP_DELIVERIES,
        ),
    )


# For monitoring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    pending: int  # deliveries still to be sent (of enabled endpoints)
    oldest_seconds: float  # how long the oldest of them has waited; 0 when none
    failed: int  # deliveries that gave up


async def backlog(session: AsyncSession) -> Backlog:
    """The queue's state, for metrics: one statement."""
    row = (
        await session.execute(
            sa.select(
                sa.func.count().filter(waiting()),
                sa.func.min(col(WebhookDelivery.created_at)).filter(waiting()),
                sa.func.count().filter(col(WebhookDelivery.status) == DeliveryStatus.FAILED),
            )
        )
    ).one()
    pending, oldest, failed = row
    age = (utcnow() - _aware(oldest)).total_seconds() if oldest is not None else 0.0
    return Backlog(pending=pending or 0, oldest_seconds=max(age, 0.0), failed=failed or 0)


def _aware(moment: Any) -> datetime:
    """``min()`` of a UTC column comes back as stored: naive on SQLite."""
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
