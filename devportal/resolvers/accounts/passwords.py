"""Argon2 in worker threads, a few at a time.

Argon2 is slow by design and releases the GIL while it works, so it runs in
threads; but every concurrent hash wants a whole core. Unbounded, a burst of
log-ins would fill the thread pool the rest of the server shares and leave the
event loop's thread one runnable thread among dozens. At most one hash per core
runs at a time in each process; the rest wait their turn without a thread.
"""

from __future__ import annotations

import asyncio
import os
from weakref import WeakKeyDictionary

from devportal import security

AT_ONCE = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

# asyncio primitives belong to one event loop; tests run several, one after another.
_turns: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


def _turn() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Semaphore(AT_ONCE)
    return turn


async def hash_password(password: str) -> str:
    async with _turn():
        return await security.hash_password(password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown account) spend the same time and fail."""
    async with _turn():
        return await security.verify_password(password_hash, password)


async def rehashed(password_hash: str, password: str) -> str | None:
    """A new hash of a correct password whose stored hash uses outdated parameters."""
    if not security.needs_rehash(password_hash):
        return None
    return await hash_password(password)
