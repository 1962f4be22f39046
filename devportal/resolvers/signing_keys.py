"""The keys that sign access tokens: ES256 (P-256), one current, older ones published
until the tokens they signed have expired.

Private keys are PKCS #8 PEM in the database (shared by every process), encrypted
with ``DEVPORTAL_SIGNING_KEY_PASSPHRASE`` when it is set; they are never served,
logged or returned. Each process keeps the keys in memory, emptied by any write
to their table and read again at least once a minute (a rotation by
``devportal rotate-signing-key`` on SQLite announces itself to no server).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from joserfc.jwk import ECKey, KeySet
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.caches import TableCache
from devportal.db import Database
from devportal.models import SigningKey
from devportal.models.base import timestamp, utcnow
from devportal.security import new_token

ALGORITHM = "ES256"
REREAD_SECONDS = 60.0


@dataclass(frozen=True)
class Keys:
    current: SigningKey
    signing: ECKey  # the current key's private half
    public: KeySet  # every published key, current first
    read_at: float

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWK Set: never a private member."""
        return dict(self.public.as_dict(private=False))


def _new_key(passphrase: str | None) -> SigningKey:
    kid = new_token(12)
    key = ECKey.generate_key(
        "P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True
    )
    return SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        private_pem=key.as_pem(private=True, password=passphrase).decode(),
        public_jwk=json.dumps(key.as_dict(private=False)),
    )


async def rotate(session: AsyncSession, *, passphrase: str | None, token_ttl: timedelta) -> str:
    """A new current key; the previous one stays published, and keys retired longer ago
    than an access token lives (nothing they signed is still valid) are deleted."""
    now = utcnow()
    await session.execute(
        sa.delete(SigningKey).where(col(SigningKey.retired_at) < now - token_ttl),
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        sa.update(SigningKey).where(col(SigningKey.retired_at).is_(None)).values(retired_at=now),
        execution_options={"synchronize_session": False},
    )
    key = _new_key(passphrase)
    session.add(key)
    await session.flush()
    return key.kid


class SigningKeys(TableCache[None, Keys]):
    """The keys, read once and kept until their table is written (or a minute passes)."""

    def __init__(self, db: Database, passphrase: str | None) -> None:
        super().__init__({SigningKey.__tablename__}, max_entries=1)
        self._db = db
        self._passphrase = passphrase

    async def keys(self) -> Keys:
        held = self.get(None)
        if held is not None and timestamp() - held.read_at < REREAD_SECONDS:
            return held
        generation = self.generation
        keys = await self._read()
        self.put(generation, None, keys)
        return keys

    async def _read(self) -> Keys:
        rows = await self._published()
        if not rows:
            await self._create_first()
            rows = await self._published()
        current = rows[0]
        private = ECKey.import_key(current.private_pem, password=self._passphrase)
        public = KeySet([ECKey.import_key(json.loads(row.public_jwk)) for row in rows])
        return Keys(current, private, public, timestamp())

    async def _published(self) -> list[SigningKey]:
        async with self._db.session() as session:
            found = await session.scalars(
                sa.select(SigningKey).order_by(
                    col(SigningKey.retired_at).is_not(None), col(SigningKey.id).desc()
                )
            )
            return list(found)

    async def _create_first(self) -> None:
        """The portal's first key. Two processes may race: all but the newest key are
        retired at once (still published), so there is one current key."""
        async with self._db.transaction() as session:
            session.add(_new_key(self._passphrase))
        async with self._db.transaction() as session:
            newest = sa.select(sa.func.max(SigningKey.id)).scalar_subquery()
            await session.execute(
                sa.update(SigningKey)
                .where(col(SigningKey.retired_at).is_(None), col(SigningKey.id) != newest)
                .values(retired_at=utcnow()),
                execution_options={"synchronize_session": False},
            )
