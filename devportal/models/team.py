"""Teams: developers who share applications, their roles, and invitations by mail."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, enum_column, utcnow


class TeamRole(StrEnum):
    OWNER = "OWNER"
    MEMBER = "MEMBER"


class Team(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamMember(SQLModel, table=True):
    """A developer's place in a team: one row per (team, developer)."""

    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", primary_key=True)
    developer_id: int = Field(
        foreign_key="developer.id", ondelete="CASCADE", primary_key=True, index=True
    )
    role: TeamRole = Field(sa_type=enum_column(TeamRole))
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamInvitation(SQLModel, table=True):
    """An invitation mailed to an address; only its token's SHA-256 is stored.

    One per (team, address): inviting again replaces it. Accepting deletes it.
    """

    __tablename__ = "team_invitation"
    __table_args__ = (sa.UniqueConstraint("team_id", "email"), IDS_NEVER_REUSED)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    email: str = Field(max_length=320)
    role: TeamRole = Field(sa_type=enum_column(TeamRole))
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
