"""Who holds a bearer token: the ``Authorization`` header's parsing and a per-process cache.

The cache (``Tokens``) spares a query per request; any write to the tables a
token's holder is read from empties it.
"""

from __future__ import annotations

from devportal.caches import TableCache
from devportal.db import Database
from devportal.models.base import utcnow
from devportal.resolvers import accounts
from devportal.security import token_digest

SESSION_TABLES = ("auth_session", "developer", "admin")
"""What a token's holder is read from: a write to any of them empties ``Tokens``."""


class Tokens(TableCache[str, tuple[accounts.Authenticated | None]]):
    """Who holds a token, per token digest, for this process: no query per request.

    Emptied by any write to the tables above (a log-out, a revocation, a new
    log-in); an entry past its session's expiry is not used. The accounts held
    are shared by the requests that use them, and only ever read.
    """

    def __init__(self, max_entries: int) -> None:
        super().__init__(SESSION_TABLES, max_entries, "tokens")

    async def authenticate(self, db: Database, token: str | None) -> accounts.Authenticated | None:
        """Who holds ``token`` now; from memory, or in a session of its own, closed at once.

        Not the operation's read session: an operation refused before it runs may
        never get to close that one.
        """
        if token is None:
            return None
        digest = token_digest(token)
        cached = self.get(digest)
        if cached is not None and (cached[0] is None or cached[0].expires_at > utcnow()):
            return cached[0]
        generation = self.generation
        async with db.session() as session:
            auth = await accounts.authenticate(session=session, token=token)
        self.put(generation, digest, (auth,))
        return auth
