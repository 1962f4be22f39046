"""The portal's settings."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.errors import BadUserInput
from devportal.models import PORTAL_SETTINGS_ID, Admin, PortalSettings


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
        name = change.name.strip()
        if not name or len(name) > 200:
            raise BadUserInput("The portal name must be 1 to 200 characters.")
        settings.name = name
    if change.public is not None:
        settings.public = change.public
    if change.auto_approve_developers is not None:
        settings.auto_approve_developers = change.auto_approve_developers
    return settings
