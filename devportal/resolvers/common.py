"""Small rules shared by several resolvers: who may see what, unique rows, global IDs."""

import base64

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from devportal.errors import Conflict, Unauthenticated
from devportal.models import Admin, Developer
from devportal.resolvers.portal import get_portal_settings

Account = Admin | Developer


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


def global_id(type_name: str, pk: int | None) -> str:
    """The row's global ID as the GraphQL API gives it (Relay: base64 of ``Type:pk``), for
    what leaves without GraphQL: webhook payloads and access tokens' claims."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()
