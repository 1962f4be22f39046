"""Per-process caches that are emptied by the changes that make them stale.

Every write transaction announces the tables it wrote (``TablesChanged``): in
its own process as soon as it commits, in the others through the event bus. A
``TableCache`` names the tables its answers are read from and forgets
everything when one of them is written; while its process may be missing
events (the bus's LISTEN connection is down), it holds and answers nothing, so
every caller goes to the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from devportal.events import Event, TablesChanged
from devportal.metrics import CACHE_LOOKUPS

K = TypeVar("K")
V = TypeVar("V")


class TableCache(Generic[K, V]):
    """A bounded map of answers read from ``tables``; an observer of the event bus."""

    def __init__(self, tables: Iterable[str], max_entries: int, name: str = "") -> None:
        self.tables = frozenset(tables)
        name = name or type(self).__name__
        self._hits = CACHE_LOOKUPS.labels(name, "hit")
        self._misses = CACHE_LOOKUPS.labels(name, "miss")
        self.max_entries = max_entries
        self._entries: dict[K, V] = {}
        self.hearing = False
        self.generation = 0  # changes whenever what is held may have gone stale

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        found = self._entries.get(key) if self.hearing else None
        (self._misses if found is None else self._hits).inc()
        return found

    def put(self, generation: int, key: K, value: V) -> None:
        """Keep an answer read since ``generation``, unless something changed meanwhile."""
        if generation != self.generation or not self.hearing:
            return
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[key] = value

    def on_event(self, event: Event) -> None:
        if isinstance(event, TablesChanged) and self.tables.intersection(event.tables):
            self.forget()

    def on_hearing(self, hearing: bool) -> None:
        self.hearing = hearing
        self.forget()

    def forget(self) -> None:
        self._entries.clear()
        self.generation += 1
