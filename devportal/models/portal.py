"""The portal's own settings: one row, created by the first migration."""

from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED

PORTAL_SETTINGS_ID = 1


class PortalSettings(SQLModel, table=True):
    __tablename__ = "portal_settings"
    __table_args__ = IDS_NEVER_REUSED

    id: int = Field(default=PORTAL_SETTINGS_ID, primary_key=True)
    name: str = Field(default="Developer Portal", max_length=200)
    public: bool = False
    auto_approve_developers: bool = False
    # Longest lifetime of a new API key or client secret; None: no limit.
    max_credential_lifetime_days: int | None = None
