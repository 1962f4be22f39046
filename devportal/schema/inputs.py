"""Checks on an operation's input that hold for every field, before any resolver runs."""

from collections.abc import Iterator
from typing import Any

from graphql import BREAK, DocumentNode, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from devportal.errors import BadUserInput

NUL = "\x00"


class RefuseNulCharacters(SchemaExtension):
    """No text may hold U+0000: PostgreSQL cannot store or even compare it.

    Refused once here, for every argument in the document or the variables,
    rather than in each resolver (a log-in or a search would otherwise fail
    as an internal error on PostgreSQL, and work on SQLite).
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if _holds_nul(context.variables) or _document_holds_nul(context.graphql_document):
            raise BadUserInput("Text cannot contain the NUL character (U+0000).")
        yield


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class _NulFinder(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> object:
        if NUL in node.value:
            self.found = True
            return BREAK
        return None


def _document_holds_nul(document: DocumentNode | None) -> bool:
    if document is None:
        return False
    finder = _NulFinder()
    visit(document, finder)
    return finder.found
