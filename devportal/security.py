"""Passwords (Argon2id), random tokens, and their stored hashes."""

import hashlib
import secrets
from functools import lru_cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory profile


async def hash_password(password: str) -> str:
    """Hash off the event loop: Argon2 is deliberately slow."""
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown account) spend the same time and fail."""
    target = password_hash or _dummy_hash()
    ok = await anyio.to_thread.run_sync(_verify, target, password)
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token: 256 bits by default."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """What we store instead of a token: its SHA-256, looked up by equality.

    The token has 256 bits of entropy, so a fast hash is enough; the lookup
    compares digests, never the secret itself.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(value: object) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value (the scheme in any case), if
    it is one: GraphQL's requests and WebSockets, and the gateway check on ``OPENID_CONNECT``
    versions, read it alike."""
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
