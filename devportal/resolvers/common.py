"""Small rules shared by several resolvers: input checks and who may see what."""

import re

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from devportal.errors import BadUserInput, Conflict, Unauthenticated
from devportal.models import Admin, Developer
from devportal.resolvers.portal import get_portal_settings

Account = Admin | Developer

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_ID = re.compile(r"^[1-9][0-9]{0,9}$")
MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER: a larger number can name no row


def parse_id(text: str) -> int | None:
    """A row's primary key written as text, or None if no row can have it."""
    if not _ID.match(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def required_text(value: str, what: str, limit: int = 200) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise BadUserInput(f"{what} must be 1 to {limit} characters.")
    return value


def optional_text(value: str | None, what: str, limit: int = 200) -> str | None:
    if value is None or not value.strip():
        return None
    return required_text(value, what, limit)


def slug(value: str, what: str) -> str:
    value = value.strip()
    if not _SLUG.match(value):
        raise BadUserInput(
            f"{what} must be 1 to 100 lower-case letters, digits and dashes, "
            "not starting or ending with a dash."
        )
    return value


async def require_catalog_reader(session: AsyncSession, viewer: Account | None) -> None:
    """The catalog is for logged-in accounts, and for anyone when the portal is public."""
    if viewer is None and not (await get_portal_settings(session)).public:
        raise Unauthenticated("Log in to see the catalog.")


async def save_unique(session: AsyncSession, row: object, message: str) -> None:
    """Flush ``row`` in a savepoint, turning a unique-constraint violation into CONFLICT.

    The savepoint keeps the rest of the transaction usable on PostgreSQL.
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        raise Conflict(message) from None
