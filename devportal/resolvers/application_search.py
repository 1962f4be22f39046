"""Admins' list of every application, with a search over name, referenceId and owner."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.models import Admin, Application, Developer
from devportal.resolvers.checks import optional_text
from devportal.resolvers.pagination import Page, paginate

MAX_SEARCH = 200


async def all_applications(
    *,
    session: AsyncSession,
    admin: Admin,
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[Application]:
    """Every application, newest first; ``search`` matches a part of the name, the
    referenceId or the owner's email, whatever the case."""
    statement = sa.select(Application)
    text = optional_text(search, "The search", MAX_SEARCH)
    if text is not None:
        pattern = text.lower()
        owners = sa.select(col(Developer.id)).where(
            sa.func.lower(col(Developer.email)).contains(pattern, autoescape=True)
        )
        statement = statement.where(
            sa.or_(
                sa.func.lower(col(Application.name)).contains(pattern, autoescape=True),
                sa.func.lower(col(Application.reference_id)).contains(pattern, autoescape=True),
                col(Application.developer_id).in_(owners),
            )
        )
    return await paginate(
        session, statement, key=col(Application.id), first=first, after=after, newest_first=True
    )
