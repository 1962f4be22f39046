"""How long a credential (an API key or a client secret) lives: asked for, and limited.

The portal's ``maxCredentialLifetimeDays`` caps every new credential: one asked
for beyond it is refused, one asked for without an expiry gets the limit. A
rotated key keeps the lifetime its predecessor was given, counted from now and
within the limit of today.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.errors import BadUserInput
from devportal.resolvers.portal import get_portal_settings

MAX_GRACE_SECONDS = 30 * 24 * 3600


def as_utc(moment: datetime) -> datetime:
    """A time the client sent without a zone is taken as UTC, as the API answers in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _limit(session: AsyncSession, now: datetime) -> tuple[int | None, datetime | None]:
    days = (await get_portal_settings(session)).max_credential_lifetime_days
    return days, (now + timedelta(days=days) if days else None)


async def new_expiry(
    session: AsyncSession, requested: datetime | None, now: datetime
) -> datetime | None:
    """The expiry of a new credential: ``requested`` if allowed, else the limit's, if any."""
    days, limit = await _limit(session, now)
    if requested is None:
        return limit
    requested = as_utc(requested)
    if requested <= now:
        raise BadUserInput("expiresAt must be in the future.")
    if limit is not None and requested > limit:
        raise BadUserInput(
            f"expiresAt is beyond the portal's limit: a credential lives at most {days} days."
        )
    return requested


async def rotated_expiry(
    session: AsyncSession, lifetime: timedelta | None, now: datetime
) -> datetime | None:
    """The expiry of a key replacing one that was given ``lifetime`` (None: no expiry)."""
    _days, limit = await _limit(session, now)
    if lifetime is None:
        return limit
    expiry = now + lifetime
    return min(expiry, limit) if limit is not None else expiry


def grace_period(seconds: int) -> timedelta:
    if not 0 <= seconds <= MAX_GRACE_SECONDS:
        raise BadUserInput("gracePeriodSeconds must be between 0 and 2592000 (30 days).")
    return timedelta(seconds=seconds)
