"""Who may see which account: lists for admins, single accounts for their owners."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.models import Admin, Developer, DeveloperStatus
from devportal.resolvers.common import Account
from devportal.resolvers.pagination import Page, paginate


async def list_developers(
    *,
    session: AsyncSession,
    admin: Admin,
    status: DeveloperStatus | None,
    first: int | None,
    after: str | None,
) -> Page[Developer]:
    statement = sa.select(Developer)
    if status is not None:
        statement = statement.where(col(Developer.status) == status)
    return await paginate(session, statement, key=col(Developer.id), first=first, after=after)


async def get_developer(
    *, session: AsyncSession, viewer: Account | None, developer_id: int
) -> Developer | None:
    """A developer is visible to admins and to themselves only."""
    if isinstance(viewer, Developer):
        return viewer if viewer.id == developer_id else None
    if isinstance(viewer, Admin):
        return await session.get(Developer, developer_id)
    return None


async def get_admin(
    *, session: AsyncSession, viewer: Account | None, admin_id: int
) -> Admin | None:
    """Admins see every admin (they manage each other); developers see none by ID."""
    if isinstance(viewer, Admin):
        return viewer if viewer.id == admin_id else await session.get(Admin, admin_id)
    return None


async def list_admins(
    *, session: AsyncSession, admin: Admin, first: int | None, after: str | None
) -> Page[Admin]:
    """Every admin account, oldest first."""
    return await paginate(session, sa.select(Admin), key=col(Admin.id), first=first, after=after)
