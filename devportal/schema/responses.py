"""Answers that are the same for a whole audience, kept per process.

The catalog and the portal's settings read only services, versions and the
portal's settings, and show the same to every anonymous visitor, to every
developer and to every admin. A query that asks for nothing else is answered
from memory, keyed by the request's exact body and the asker's audience, and
forgotten when one of those tables is written (``TableCache``).
"""

from __future__ import annotations

import json
from functools import lru_cache

from graphql import FieldNode, GraphQLError, OperationType, get_operation_ast, parse

from devportal.caches import TableCache
from devportal.models import Admin
from devportal.resolvers.accounts import Authenticated

AUDIENCE_WIDE = frozenset({"catalog", "service", "portal", "__typename"})
"""Root fields whose whole answer depends on the audience only (no nested per-viewer field)."""
READS = ("service", "service_version", "portal_settings")
LARGEST_BODY = 4096  # bytes of request kept as a key
LARGEST_ANSWER = 256 * 1024  # bytes of answer kept


class Responses(TableCache[tuple[str, bytes], bytes]):
    def __init__(self, max_entries: int = 1000) -> None:
        super().__init__(READS, max_entries)

    def key(self, body: bytes, auth: Authenticated | None) -> tuple[str, bytes] | None:
        """Where an answer to ``body`` is kept, or None if it is not for a whole audience."""
        if len(body) > LARGEST_BODY or not _audience_wide(body):
            return None
        return audience(auth), body

    def keep(self, generation: int, key: tuple[str, bytes], answer: bytes) -> None:
        """Keep an answer without errors (they may be about this one request)."""
        if len(answer) <= LARGEST_ANSWER and b'"errors"' not in answer:
            self.put(generation, key, answer)


def audience(auth: Authenticated | None) -> str:
    if auth is None:
        return "anyone"
    return "admins" if isinstance(auth.account, Admin) else "developers"


@lru_cache(maxsize=256)
def _audience_wide(body: bytes) -> bool:
    """A single query whose root fields are all audience-wide."""
    try:
        request = json.loads(body)
        document = parse(request["query"])
    except (ValueError, KeyError, TypeError, RecursionError, GraphQLError):  # no query to keep
        return False
    if not isinstance(request, dict) or not isinstance(request.get("operationName"), str | None):
        return False
    operation = get_operation_ast(document, request.get("operationName"))
    if operation is None or operation.operation != OperationType.QUERY:
        return False
    return all(
        isinstance(selection, FieldNode) and selection.name.value in AUDIENCE_WIDE
        for selection in operation.selection_set.selections
    )
