"""Admin accounts: made by the CLI or at start-up, never through the API."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.errors import Conflict
from devportal.models import Admin
from devportal.resolvers.accounts.inputs import check_password, normalize_email
from devportal.resolvers.accounts.passwords import hash_password


async def create_admin(*, session: AsyncSession, email: str, password: str) -> Admin:
    email = normalize_email(email)
    check_password(password)
    if await session.scalar(sa.select(col(Admin.id)).where(col(Admin.email) == email)) is not None:
        raise Conflict("An admin with this email already exists.")
    admin = Admin(email=email, password_hash=await hash_password(password))
    session.add(admin)
    await session.flush()
    return admin


async def any_admin_exists(session: AsyncSession) -> bool:
    return await session.scalar(sa.select(col(Admin.id)).limit(1)) is not None
