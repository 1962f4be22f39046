"""Webhook events: ``queue_webhook``, which every change that is an event calls.

``queue_webhook`` runs inside the transaction that makes the change: it writes one
delivery per enabled endpoint subscribed to the event type, and the worker
(``devportal.webhooks``) wakes once the transaction commits. A rolled-back change
sends nothing; a committed one is delivered, retried until it lands or fails.
The ``*_data`` functions build events' ``data``: IDs, statuses and names only.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import mark_webhooks_queued
from devportal.models import (
    Application,
    ClientCredential,
    Credential,
    Developer,
    Registration,
    Webhook,
    WebhookDelivery,
    WebhookEventType,
)
from devportal.models.base import utcnow
from devportal.resolvers.common import global_id
from devportal.security import new_token


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
