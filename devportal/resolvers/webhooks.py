"""Webhook endpoints admins manage, their deliveries, and the queue's backlog.

Events are queued by the changes themselves (``resolvers.webhook_events``) and
delivered by the worker (``devportal.webhooks``).
"""

from __future__ import annotations

import base64
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
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEventType,
)
from devportal.models.base import utcnow
from devportal.resolvers.checks import optional_text
from devportal.resolvers.pagination import Page, paginate
from devportal.settings import Settings
from devportal.webhooks import targets
from devportal.webhooks.worker import waiting

MAX_WEBHOOKS = 50
KEEP_DELIVERIES = timedelta(days=30)
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)

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
