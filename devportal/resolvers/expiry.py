"""Expiry warnings: one mail per credential about to expire, whatever the number of processes.

Each process's housekeeping claims the credentials expiring within the warning
window in one conditional UPDATE (``expiry_warned_at IS NULL``): on PostgreSQL a
second process's statement waits for the first's row locks, sees the rows
claimed, and skips them, so each credential is warned about once in all. The
mail is queued in the same transaction as the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import ANNOUNCE_AS
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import Application, Credential, Developer


async def warn_expiring(
    *, session: AsyncSession, now: datetime, within: timedelta, link: str
) -> int:
    """Claim every credential expiring within ``within`` not yet warned about, and mail
    its application's owner. Returns how many were claimed."""
    claimed = (
        await session.execute(
            sa.update(Credential)
            .where(
                col(Credential.expiry_warned_at).is_(None),
                col(Credential.expires_at) > now,
                col(Credential.expires_at) <= now + within,
            )
            .values(expiry_warned_at=now)
            .returning(
                col(Credential.application_id),
                col(Credential.key_prefix),
                col(Credential.name),
                col(Credential.expires_at),
            ),
            # No cache shows whether a warning went out: none needs emptying.
            execution_options={"synchronize_session": False, ANNOUNCE_AS: "expiry_warning"},
        )
    ).all()
    if not claimed:
        return 0
    owners = await _owners(session, {row.application_id for row in claimed})
    for row in claimed:
        application, developer = owners[row.application_id]
        enqueue(
            session,
            to=developer.email,
            mail=templates.credential_expiring(
                full_name=developer.full_name,
                application=application.name,
                credential=row.key_prefix,
                name=row.name,
                expires=f"{row.expires_at:%Y-%m-%d %H:%M} UTC",
                link=link,
            ),
        )
    return len(claimed)


async def _owners(
    session: AsyncSession, application_ids: set[int]
) -> dict[int, tuple[Application, Developer]]:
    rows = await session.execute(
        sa.select(Application, Developer)
        .join(Developer, col(Developer.id) == col(Application.developer_id))
        .where(col(Application.id).in_(application_ids))
    )
    owners: dict[int, tuple[Application, Developer]] = {}
    for application, developer in rows:
        assert application.id is not None
        owners[application.id] = (application, developer)
    return owners
