"""The gateway check on ``OPENID_CONNECT`` versions: a bearer access token, not an API key.

The token's signature (against the published keys), issuer and expiry are
checked first, then the live state, as for keys: the client credential must
still exist and be unexpired (else 401), the token's ``aud`` must name this
version, and the application's registration, the version and the developer must
still be approved (else 403). Verified tokens and live decisions are kept in
memory, emptied by the writes that change them; a decision carries the client
credential's expiry, and a token its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from sqlmodel import col

from devportal.caches import TableCache
from devportal.db import Database
from devportal.events import InProcessBus
from devportal.models import (
    Application,
    ClientCredential,
    Developer,
    Registration,
    Service,
    ServiceVersion,
    SigningKey,
)
from devportal.models.base import timestamp
from devportal.resolvers.gateway_access import DENIED, AccessQuery, Decision
from devportal.resolvers.signing_keys import ALGORITHM, SigningKeys

BEARER_CHALLENGE = 'Bearer realm="devportal"'
NO_TOKEN = Decision(401, "No bearer token found in request", challenge=BEARER_CHALLENGE)
BAD_TOKEN = Decision(
    401,
    "Invalid authentication credentials",
    challenge=BEARER_CHALLENGE + ', error="invalid_token"',
)
MAX_TOKEN_LENGTH = 8192
LIVE_READS = frozenset(
    model.__tablename__
    for model in (ClientCredential, Application, Developer, Service, ServiceVersion, Registration)
)


@dataclass(frozen=True)
class Claims:
    client_id: str
    audiences: frozenset[str]
    expires: float


@dataclass(frozen=True)
class Live:
    decision: Decision
    expires: float | None = None  # the client credential's


class TokenCheck:
    """Access tokens checked against the portal's signing keys and the live state."""

    def __init__(self, db: Database, keys: SigningKeys, issuer: str, max_entries: int) -> None:
        self._db = db
        self._keys = keys
        self._issuer = issuer
        self._tokens: TableCache[str, Claims] = TableCache({SigningKey.__tablename__}, max_entries)
        self._live: TableCache[tuple[str, str, str], Live] = TableCache(LIVE_READS, max_entries)

    def observe(self, bus: InProcessBus) -> None:
        for cache in (self._keys, self._tokens, self._live):
            bus.observe(cache)

    async def verify(self, token: str | None, slug: str, version: str) -> Decision:
        if not token:
            return NO_TOKEN
        claims = await self._claims(token)
        now = timestamp()
        if claims is None or claims.expires <= now:
            return BAD_TOKEN
        key = (claims.client_id, slug, version)
        live = self._live.get(key)
        if live is None:
            generation = self._live.generation
            live = await _live(self._db, claims.client_id, slug, version)
            self._live.put(generation, key, live)
        if live.expires is not None and live.expires <= now:
            return BAD_TOKEN
        if live.decision.status == 200 and f"{slug}/{version}" not in claims.audiences:
            return DENIED
        return live.decision

    async def _claims(self, token: str) -> Claims | None:
        claims = self._tokens.get(token)
        if claims is not None:
            return claims
        generation = self._tokens.generation
        claims = self._decode(token, await self._keys.keys())
        if claims is not None:
            self._tokens.put(generation, token, claims)
        return claims

    def _decode(self, token: str, keys: Any) -> Claims | None:
        """The token's claims if it is well formed, signed by a published key and ours."""
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            found = jwt.decode(token, keys.public, algorithms=[ALGORITHM]).claims
        except (JoseError, ValueError, TypeError, KeyError):
            return None
        audiences = found.get("aud")
        if isinstance(audiences, str):
            audiences = [audiences]
        client_id, expires = found.get("client_id"), found.get("exp")
        if (
            found.get("iss") != self._issuer
            or not isinstance(client_id, str)
            or not isinstance(expires, int | float)
            or not isinstance(audiences, list)
        ):
            return None
        return Claims(client_id, frozenset(a for a in audiences if isinstance(a, str)), expires)


async def _live(db: Database, client_id: str, slug: str, version: str) -> Live:
    found = await _CLIENTS.read(db, client_id, slug, version)
    if found is None:
        return Live(BAD_TOKEN)  # revoked since
    return Live(found.decision, found.expires)


_CLIENTS = AccessQuery(ClientCredential, col(ClientCredential.client_id))
