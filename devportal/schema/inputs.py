"""Checks on an operation's input that hold for every field, before any resolver runs."""

from collections.abc import Iterator
from typing import Any

from graphql import BREAK, DocumentNode, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from devportal.errors import BadUserInput

NUL = "\x00"
MESSAGE = "Text cannot contain the NUL character (U+0000) or unpaired surrogates."


class RefuseUnstorableText(SchemaExtension):
    """No text may hold U+0000 or a lone surrogate: no database can store those.

    PostgreSQL cannot even compare a NUL, and a lone surrogate cannot be
    encoded at all. Refused once here, for every string in the document or
    the variables, rather than in each resolver (a log-in or a search would
    otherwise fail as an internal error).
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if _holds_unstorable(context.variables) or _document_holds_unstorable(
            context.graphql_document
        ):
            raise BadUserInput(MESSAGE)
        yield


def _unstorable(text: str) -> bool:
    if NUL in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _holds_unstorable(value: Any) -> bool:
    """Walks with a stack of its own: variables may nest deeper than Python recurses."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _unstorable(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class _Finder(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> object:
        if _unstorable(node.value):
            self.found = True
            return BREAK
        return None


def _document_holds_unstorable(document: DocumentNode | None) -> bool:
    if document is None:
        return False
    finder = _Finder()
    visit(document, finder)
    return finder.found
