"""Whole answers to queries, kept per process, for an audience or for one account.

The catalog and the portal's settings read only services, versions and the
portal's settings, and show the same to every anonymous visitor, to every
developer and to every admin: those answers are kept per audience. A
developer's own applications (``myApplications``, ``application``, ``me``)
are kept for that account alone. Either kind is keyed by the request's exact
body and forgotten when a table it reads from is written (``TableCache``); a
query that asks for anything else is never kept.
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
AUDIENCE_READS = ("service", "service_version", "portal_settings")

PER_ACCOUNT = frozenset({"myApplications", "application", "me"})
"""Root fields whose answer depends on who asks: kept per account."""
ACCOUNT_READS = (
    *AUDIENCE_READS,
    "application",
    "registration",
    "credential",
    "credential_use",  # lastUsedAt, written in the background by the gateway check
    "client_credential",
    "developer",
    "admin",
    "team",  # who may read an application, and its team
    "team_member",
    "team_invitation",  # me { teams { pendingInvitations } }
)

LARGEST_BODY = 4096  # bytes of request kept as a key
LARGEST_ANSWER = 256 * 1024  # bytes of answer kept

Key = tuple[str, bytes]


class Answers(TableCache[Key, bytes]):
    def keep(self, generation: int, key: Key, answer: bytes) -> None:
        """Keep an answer without errors (they may be about this one request)."""
        if len(answer) <= LARGEST_ANSWER and b'"errors"' not in answer:
            self.put(generation, key, answer)


class Responses:
    """The two caches, and which one (if any) a request's answer belongs in."""

    def __init__(self, max_entries: int = 1000) -> None:
        self.audiences = Answers(AUDIENCE_READS, max_entries, "answers_per_audience")
        self.accounts = Answers(ACCOUNT_READS, max_entries, "answers_per_account")

    def place(self, body: bytes, auth: Authenticated | None) -> tuple[Answers, Key] | None:
        """Where an answer to ``body`` is kept, or None if it is not to be kept."""
        if len(body) > LARGEST_BODY:
            return None
        kind, _ = _described(body)
        if kind == "audience":
            return self.audiences, (audience(auth), body)
        if kind == "account" and auth is not None:
            account = auth.account
            return self.accounts, (f"{type(account).__name__}:{account.id}", body)
        return None


def audience(auth: Authenticated | None) -> str:
    if auth is None:
        return "anyone"
    return "admins" if isinstance(auth.account, Admin) else "developers"


def operation_name(body: bytes) -> str | None:
    """The name of the operation of a body that ``place`` keeps (for logs and metrics)."""
    return _described(body)[1] if len(body) <= LARGEST_BODY else None


@lru_cache(maxsize=256)
def _described(body: bytes) -> tuple[str | None, str | None]:
    """ "audience" or "account" for a single query made of such root fields, else None;
    and the operation's name."""
    try:
        request = json.loads(body)
        document = parse(request["query"])
    except (ValueError, KeyError, TypeError, RecursionError, GraphQLError):
        return None, None
    if not isinstance(request, dict) or not isinstance(request.get("operationName"), str | None):
        return None, None
    operation = get_operation_ast(document, request.get("operationName"))
    if operation is None or operation.operation != OperationType.QUERY:
        return None, None
    name = operation.name.value if operation.name else None
    names = set()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return None, name
        names.add(selection.name.value)
    if names <= AUDIENCE_WIDE:
        return "audience", name
    return ("account" if names <= AUDIENCE_WIDE | PER_ACCOUNT else None), name
