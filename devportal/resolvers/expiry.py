"""Expiry warnings: one mail per API key or client credential about to expire, once in all.

Each process's housekeeping claims the credentials expiring within the warning
window in one conditional UPDATE (``expiry_warned_at IS NULL``): on PostgreSQL a
second process's statement waits for the first's row locks, sees the rows
claimed, and skips them, so each credential is warned about once in all. The
mail is queued in the same transaction as the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import ANNOUNCE_AS
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import Application, ClientCredential, Credential
from devportal.resolvers.teams import application_contacts
from devportal.resolvers.webhook_events import expiring_data, queue_webhook


async def warn_expiring(
    *, session: AsyncSession, now: datetime, within: timedelta, link: str
) -> int:
    """Claim every API key and client credential expiring within ``within`` not yet
    warned about, and mail its application's owner (a team application's OWNERs).
    Returns how many were claimed."""
    claimed = [
        *await _claim(session, Credential, col(Credential.key_prefix), now, within),
        *await _claim(session, ClientCredential, col(ClientCredential.client_id), now, within),
    ]
    if not claimed:
        return 0
    applications = await _applications(session, {row.application_id for row in claimed})
    for row in claimed:
        application = applications[row.application_id]
        for developer in await application_contacts(session, application):
            enqueue(
                session,
                to=developer.email,
                mail=templates.credential_expiring(
                    full_name=developer.full_name,
                    application=application.name,
                    credential=row.label,
                    name=row.name,
                    expires=f"{row.expires_at:%Y-%m-%d %H:%M} UTC",
                    link=link,
                ),
            )
        await queue_webhook(session, "CREDENTIAL_EXPIRING", expiring_data(row, application))
    return len(claimed)


async def _claim(
    session: AsyncSession,
    model: type[Credential] | type[ClientCredential],
    label: Any,
    now: datetime,
    within: timedelta,
) -> list[Any]:
    """One conditional UPDATE ... RETURNING: the rows this process won."""
    result = await session.execute(
        sa.update(model)
        .where(
            col(model.expiry_warned_at).is_(None),
            col(model.expires_at) > now,
            col(model.expires_at) <= now + within,
        )
        .values(expiry_warned_at=now)
        .returning(
            sa.literal(model.__name__).label("type_name"),
            col(model.id),
            col(model.application_id),
            label.label("label"),
            col(model.name),
            col(model.expires_at),
        ),
        # No cache shows whether a warning went out: none needs emptying.
        execution_options={"synchronize_session": False, ANNOUNCE_AS: "expiry_warning"},
    )
    return list(result.all())


async def _applications(session: AsyncSession, ids: set[int]) -> dict[int, Application]:
    rows = await session.scalars(sa.select(Application).where(col(Application.id).in_(ids)))
    return {row.id: row for row in rows if row.id is not None}
