"""The catalog: services and their versions."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, enum_column, utcnow


class AuthStrategy(StrEnum):
    KEY_AUTH = "KEY_AUTH"
    OPENID_CONNECT = "OPENID_CONNECT"


class Service(SQLModel, table=True):
    __tablename__ = "service"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    published: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ServiceVersion(SQLModel, table=True):
    __tablename__ = "service_version"
    __table_args__ = (sa.UniqueConstraint("service_id", "name"), IDS_NEVER_REUSED)

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=50)
    app_registration_enabled: bool = False
    auto_approve: bool = False
    auth_strategy: AuthStrategy = Field(
        default=AuthStrategy.KEY_AUTH, sa_type=enum_column(AuthStrategy)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
