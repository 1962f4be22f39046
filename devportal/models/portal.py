"""The portal's own settings: one row, created by the first migration."""

from sqlmodel import Field, SQLModel

PORTAL_SETTINGS_ID = 1


class PortalSettings(SQLModel, table=True):
    __tablename__ = "portal_settings"

    id: int = Field(default=PORTAL_SETTINGS_ID, primary_key=True)
    name: str = Field(default="Developer Portal", max_length=200)
    public: bool = False
    auto_approve_developers: bool = False
