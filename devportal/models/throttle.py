"""Counters for rate limits, shared by every server process through the database."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from devportal.models.base import UTCDateTime


class Throttle(SQLModel, table=True):
    """How often something keyed (a log-in address, a mail recipient) happened lately."""

    __tablename__ = "throttle"

    key: str = Field(primary_key=True, max_length=400)
    window_start: datetime = Field(sa_type=UTCDateTime)
    hits: int = 0
