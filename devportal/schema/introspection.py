"""Introspection for admins only (``DEVPORTAL_INTROSPECTION_ADMINS_ONLY``).

An operation that reads ``__schema`` or ``__type`` anywhere (``__typename`` is
no introspection: clients add it everywhere) is refused as ``FORBIDDEN`` to
anyone but an admin, before it runs. GraphiQL's page is still served: it
shows nothing until an admin logs in through it, and then fetches the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import DocumentNode, FieldNode, GraphQLError, Visitor, visit
from graphql.language.visitor import BREAK
from strawberry.extensions import SchemaExtension

from devportal.errors import Forbidden
from devportal.models import Admin
from devportal.schema.context import Context
from devportal.schema.validation import CACHE_SIZE

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


class _FindIntrospection(Visitor):
    found = False

    def enter_field(self, node: FieldNode, *_args: object) -> object:
        if node.name.value in INTROSPECTION_FIELDS:
            self.found = True
            return BREAK
        return None


@lru_cache(maxsize=CACHE_SIZE)
def _introspects(document: DocumentNode) -> bool:
    """Per document: ParserCache hands out the same one for the same text."""
    finder = _FindIntrospection()
    visit(document, finder)
    return finder.found


class AdminsOnlyIntrospection(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if (
            not execution.pre_execution_errors
            and document is not None
            and isinstance(context, Context)
            and not isinstance(context.account, Admin)
            and _introspects(document)
        ):
            refusal = Forbidden("Introspection is for admins only: log in as an admin.")
            execution.pre_execution_errors = [
                GraphQLError(
                    refusal.message, original_error=refusal, extensions={"code": "FORBIDDEN"}
                )
            ]
        yield
