"""The portal's settings."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.errors import BadUserInput
from devportal.models import PORTAL_SETTINGS_ID, Admin, AuditAction, PortalSettings
from devportal.resolvers import audit
from devportal.resolvers.checks import required_text

MAX_LIFETIME_DAYS = 36_500  # a hundred years: the lifetime limit's bound


@dataclass(frozen=True)
class PortalSettingsChange:
    name: str | None = None
    public: bool | None = None
    auto_approve_developers: bool | None = None
    max_credential_lifetime_days: int | None = None  # 0 removes the limit


async def get_portal_settings(session: AsyncSession) -> PortalSettings:
    settings = await session.get(PortalSettings, PORTAL_SETTINGS_ID)
    if settings is None:  # a database migrated by hand without the seed row
        settings = PortalSettings()
    return settings


async def update_portal_settings(
    *, session: AsyncSession, admin: Admin, change: PortalSettingsChange
) -> PortalSettings:
    settings = await session.get(PortalSettings, PORTAL_SETTINGS_ID, with_for_update=True)
    if settings is None:
        settings = PortalSettings()
        session.add(settings)
    if change.name is not None:
        settings.name = required_text(change.name, "The portal name")
    if change.public is not None:
        settings.public = change.public
    if change.auto_approve_developers is not None:
        settings.auto_approve_developers = change.auto_approve_developers
    if change.max_credential_lifetime_days is not None:
        settings.max_credential_lifetime_days = lifetime_days(change.max_credential_lifetime_days)
    summary = (
        f"Portal settings: name {settings.name!r}, public {settings.public}, "
        f"auto-approve developers {settings.auto_approve_developers}, "
        f"key lifetime limit {settings.max_credential_lifetime_days or 'none'} days"
    )
    audit.record(
        session,
        action=AuditAction.PORTAL_SETTINGS_CHANGED,
        actor=admin,
        subject=None,
        summary=summary,
    )
    return settings


def lifetime_days(days: int) -> int | None:
    """``maxCredentialLifetimeDays`` as stored: 0 removes the limit."""
    if not 0 <= days <= MAX_LIFETIME_DAYS:
        raise BadUserInput(
            f"maxCredentialLifetimeDays must be between 0 (no limit) and {MAX_LIFETIME_DAYS}."
        )
    return days or None
