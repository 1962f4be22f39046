"""Each version's auth strategy, by its gateway path, kept in memory by the gateway check.

The check must know a version's strategy before it reads any credential (an API
key on ``KEY_AUTH`` versions, a bearer token on ``OPENID_CONNECT`` ones), also to
say which challenge a 401 carries. The whole map is read at once (a catalog has
hundreds of versions, not millions), so a request for an unknown path costs no
query either; any write to services or versions empties it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from devportal.caches import TableCache
from devportal.db import Database
from devportal.models import AuthStrategy, Service, ServiceVersion

Path = tuple[str, str]  # (service slug, version name)
READS = frozenset(model.__tablename__ for model in (Service, ServiceVersion))


class VersionStrategies(TableCache[None, dict[Path, AuthStrategy]]):
    """One entry: the map of every version's path to its strategy."""

    def __init__(self, db: Database) -> None:
        super().__init__(READS, max_entries=1)
        self._db = db

    async def of(self, slug: str, version: str) -> AuthStrategy | None:
        """The version's strategy, or None if no version has this path."""
        strategies = self.get(None)
        if strategies is None:
            generation = self.generation
            strategies = await self._read()
            self.put(generation, None, strategies)
        return strategies.get((slug, version))

    async def _read(self) -> dict[Path, AuthStrategy]:
        async with self._db.session() as session:
            rows = await session.execute(
                sa.select(
                    col(Service.slug), col(ServiceVersion.name), col(ServiceVersion.auth_strategy)
                ).join(Service, col(Service.id) == col(ServiceVersion.service_id))
            )
        return {(slug, name): strategy for slug, name, strategy in rows}
