"""Column types shared by every table."""

import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# Table args of every table with an integer id. Without AUTOINCREMENT, SQLite gives a
# new row the highest id plus one, so the id of a deleted newest row (and the global
# ID a client still holds, such as "Registration:5") would name the next row instead.
# With it, ids are never reused, as with PostgreSQL's sequences. Migration 0004.
IDS_NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}


class Clock:
    """The portal's wall clock, as every expiry reads it.

    ``offset`` is zero in service. Tests move it forward (the ``clock`` fixture) to
    reach an expiry without sleeping: in-process servers then see the time moved.
    """

    offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + Clock.offset


def timestamp() -> float:
    """``utcnow()`` as POSIX seconds: cheaper to compare on the gateway's hot path."""
    return time.time() + Clock.offset.total_seconds()


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum: type[StrEnum], length: int = 20) -> Any:
    """A VARCHAR column holding the enum's values: no database enum types to migrate."""
    return sa.Enum(
        enum,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
