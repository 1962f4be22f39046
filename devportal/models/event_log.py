"""The event log: every committed write transaction's events, for the other server processes.

Written only on PostgreSQL (``devportal.pgbus``), in the transaction that makes the
change, so an event exists exactly when its change does; ``NOTIFY`` only says
"there is more to read". On SQLite (one server process) it stays empty.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from devportal.models.base import IDS_NEVER_REUSED, UTCDateTime, utcnow

# 64 bits on PostgreSQL (a row per write transaction, for years); SQLite only makes an
# integer primary key its rowid (and AUTOINCREMENT) when it is spelled INTEGER.
LOG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class EventLogEntry(SQLModel, table=True):
    """One transaction's events, as a JSON array (``devportal.events.encode_all``)."""

    __tablename__ = "event_log"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True, sa_type=LOG_ID)
    payload: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
