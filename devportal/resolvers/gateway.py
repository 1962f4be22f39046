"""The gateway's question, asked on every API call: may this key consume this version?

Answered from memory when it can be, from one indexed query when it cannot.
``GatewayCache`` holds decisions per (key, service, version) and an index of
every key that exists, so unknown keys are refused without a query. Both are
emptied by the events that change what they hold (any write to a table the
check reads, in this process at once and in others through the bus), and
neither is trusted while this process may miss events: then every check asks
the database. Use of a key is recorded at most once a minute, in the background.

Expiry is time, not an event: no write announces it. A cached decision carries
its key's expiry and is refused once that has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col

from devportal.caches import TableCache
from devportal.db import Database
from devportal.events import Event, TablesChanged
from devportal.models import (
    Application,
    AuthStrategy,
    Credential,
    Developer,
    Registration,
    Service,
    ServiceVersion,
)
from devportal.models.base import timestamp
from devportal.resolvers.bearer import TokenCheck
from devportal.resolvers.gateway_access import (
    BAD_KEY,
    NO_KEY,
    AccessQuery,
    Decision,
)
from devportal.resolvers.key_use import UseRecorder
from devportal.resolvers.strategies import VersionStrategies
from devportal.security import token_digest

log = logging.getLogger("devportal.gateway")

SHUTDOWN_SECONDS = 5.0
UNREACHABLE_DATABASE = (sa.exc.DBAPIError, OSError)
READS = frozenset(
    model.__tablename__
    for model in (Credential, Application, Developer, Service, ServiceVersion, Registration)
)
"""The tables the check reads: a write to any of them empties the cached decisions."""


@dataclass
class _Cached:
    decision: Decision
    credential_id: int | None
    expires: float | None = None  # the key's expiry, POSIX seconds; None: never


class GatewayCache(TableCache[tuple[str, str, str], _Cached]):
    """Decisions per (key digest, service, version), and the digests of every key."""

    RETRY_MAX_SECONDS = 30.0

    def __init__(self, db: Database, max_entries: int) -> None:
        super().__init__(READS, max_entries, "gateway_decisions")
        self._db = db
        self._known: set[int] | None = None  # None: not read yet, so not trusted
        self._added_while_loading: list[str] = []
        self._epoch = 0  # counts the times hearing began or ended
        self.loading: asyncio.Task[None] | None = None

    @property
    def trusted(self) -> bool:
        return self.hearing and self._known is not None

    def on_event(self, event: Event) -> None:
        super().on_event(event)
        if isinstance(event, TablesChanged) and event.keys_added:
            if self._known is not None:
                self._known.update(_short(digest) for digest in event.keys_added)
            else:
                self._added_while_loading.extend(event.keys_added)

    def on_hearing(self, hearing: bool) -> None:
        super().on_hearing(hearing)
        self._epoch += 1
        self._known = None
        if hearing and (self.loading is None or self.loading.done()):
            self.loading = asyncio.get_running_loop().create_task(
                self._load(), name="devportal-gateway-keys"
            )

    def known(self, digest: str) -> bool:
        assert self._known is not None
        return _short(digest) in self._known

    async def _load(self) -> None:
        """Read every key's digest: from then on an unknown key costs no query.

        Read again if hearing stopped and began meanwhile (the read may predate a
        change this process did not hear); keys created while it reads are added.
        """
        delay = 0.5
        while self.hearing and self._known is None:
            epoch = self._epoch
            self._added_while_loading = []
            try:
                async with self._db.session() as session:
                    digests = list(await session.scalars(sa.select(col(Credential.key_hash))))
            except Exception as exc:
                log.warning("gateway check: could not read the keys (%s); asking the database", exc)
                await asyncio.sleep(delay)  # back-off before the next try
                delay = min(delay * 2, self.RETRY_MAX_SECONDS)
                continue
            if self.hearing and epoch == self._epoch:
                digests += self._added_while_loading
                self._known = {_short(digest) for digest in digests}
                log.info("gateway check: %d keys known, answering from memory", len(digests))


def _short(digest: str) -> int:
    """64 bits of a key's SHA-256: enough to tell keys apart, a quarter of the memory."""
    return int(digest[:16], 16)


class Gateway:
    """The check, its cache and its use recorder, for one process."""

    def __init__(self, db: Database, *, max_entries: int, tokens: TokenCheck) -> None:
        self.db = db
        self.cache = GatewayCache(db, max_entries)
        self.strategies = VersionStrategies(db)
        self.tokens = tokens
        self.uses = UseRecorder()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Answer from memory once the keys are read; record uses until the end."""
        self.db.bus.observe(self.cache)
        self.db.bus.observe(self.strategies)
        self.tokens.observe(self.db.bus)
        if self.cache.loading is not None:
            await asyncio.shield(self.cache.loading)
        recorder = asyncio.create_task(self.uses.run(self.db), name="devportal-key-use")
        try:
            yield
        finally:
            # Bounded: a shutdown must end even if a write cut short leaves its connection stuck.
            recorder.cancel()
            await asyncio.wait({recorder}, timeout=SHUTDOWN_SECONDS)
            try:
                async with asyncio.timeout(SHUTDOWN_SECONDS):
                    await self.uses.flush(self.db)
            except (TimeoutError, *UNREACHABLE_DATABASE) as exc:
                log.warning("could not record the last uses of keys at shutdown: %r", exc)

    async def verify(
        self, *, key: str | None, bearer: str | None, service_slug: str, version_name: str
    ) -> Decision:
        """The answer for a call with an API key or a bearer token, as the version asks."""
        strategy = await self.strategies.of(service_slug, version_name)
        if strategy is AuthStrategy.OPENID_CONNECT:
            return await self.tokens.verify(bearer, service_slug, version_name)
        if strategy is None:
            # No version has this path; the key is still checked first. Such text (a NUL
            # say) must not reach the database, which may refuse to compare it.
            service_slug = version_name = ""
        return await self._verify_key(key, service_slug, version_name)

    async def _verify_key(self, key: str | None, service_slug: str, version_name: str) -> Decision:
        if not key:
            return NO_KEY
        digest = token_digest(key)
        cache = self.cache
        if cache.trusted:
            if not cache.known(digest):
                return BAD_KEY
            cached = cache.get((digest, service_slug, version_name))
            if cached is not None:
                if cached.expires is not None and timestamp() >= cached.expires:
                    return BAD_KEY
                return self._used(cached)
        generation = cache.generation
        entry = await _from_database(self.db, digest, service_slug, version_name)
        cache.put(generation, (digest, service_slug, version_name), entry)
        return self._used(entry)

    def _used(self, entry: _Cached) -> Decision:
        if entry.credential_id is not None:
            self.uses.used(entry.credential_id)
        return entry.decision


async def _from_database(db: Database, digest: str, slug: str, version: str) -> _Cached:
    found = await _KEYS.read(db, digest, slug, version)
    if found is None or (found.expires is not None and timestamp() >= found.expires):
        return _Cached(BAD_KEY, None)
    return _Cached(found.decision, found.credential_id, found.expires)


_KEYS = AccessQuery(Credential, col(Credential.key_hash))
