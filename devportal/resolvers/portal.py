"""The portal's settings."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.models import PORTAL_SETTINGS_ID, Admin, PortalSettings
from devportal.resolvers.checks import required_text


@dataclass(frozen=True)
class PortalSettingsChange:
    name: str | None = None
    public: bool | None = None
    auto_approve_developers: bool | None = None


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
    return settings
