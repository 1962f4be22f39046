"""The audit log: one entry per change, written in the change's own transaction.

Other resolvers call ``record`` alone; what an entry holds is decided here. A
summary is one line for a person to read: never a password, token or key, and
(see ``forget_person``) nothing of a deleted developer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from devportal.models import Admin, AuditAction, AuditEntry, Developer
from devportal.resolvers.pagination import Page, paginate

MAX_SUMMARY = 2_400  # a reason of 2,000 characters and the words around it
ERASED = "[deleted account]"


def record(
    session: AsyncSession,
    *,
    action: AuditAction,
    actor: Admin | Developer | None,
    subject: SQLModel | None,
    summary: str,
) -> AuditEntry:
    """Add an entry to the caller's transaction. ``actor`` None: the portal acted by itself.

    ``subject`` is the row acted on (its class name is its GraphQL type); it must have
    its id (flushed) by the time the transaction commits.
    """
    entry = AuditEntry(
        action=action,
        actor_admin_id=actor.id if isinstance(actor, Admin) else None,
        actor_developer_id=actor.id if isinstance(actor, Developer) else None,
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=getattr(subject, "id", None),
        summary=" ".join(summary.split())[:MAX_SUMMARY],
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    action: AuditAction | None = None
    actor: tuple[str, int] | None = None  # ("Admin" | "Developer", id)
    subject: tuple[str, int] | None = None  # (GraphQL type, id)


async def audit_log(
    *,
    session: AsyncSession,
    admin: Admin,
    where: AuditFilter,
    first: int | None,
    after: str | None,
) -> Page[AuditEntry]:
    """Entries, newest first, narrowed by ``where``."""
    statement = sa.select(AuditEntry)
    if where.action is not None:
        statement = statement.where(col(AuditEntry.action) == where.action)
    if where.actor is not None:
        kind, actor_id = where.actor
        column = AuditEntry.actor_admin_id if kind == "Admin" else AuditEntry.actor_developer_id
        statement = statement.where(col(column) == actor_id)
    if where.subject is not None:
        kind, subject_id = where.subject
        statement = statement.where(col(AuditEntry.subject_type) == kind).where(
            col(AuditEntry.subject_id) == subject_id
        )
    return await paginate(
        session, statement, key=col(AuditEntry.id), first=first, after=after, newest_first=True
    )


async def forget_person(session: AsyncSession, developer: Developer) -> None:
    """Take a developer's name and address out of every summary that holds them.

    Their entries stay: the actor column empties itself when the account goes, and
    the subject then points at nothing. Summaries never name a developer, but the
    reasons admins wrote into them may.
    """
    names = sorted({developer.email, developer.full_name}, key=len, reverse=True)
    summary = sa.func.lower(col(AuditEntry.summary))
    holding = sa.or_(*(summary.contains(name.lower(), autoescape=True) for name in names))
    pattern = re.compile("|".join(re.escape(name) for name in names), re.IGNORECASE)
    for entry in await session.scalars(sa.select(AuditEntry).where(holding)):
        entry.summary = pattern.sub(ERASED, entry.summary)
