"""Checks on an operation's input that hold for every field, before any resolver runs."""

from collections.abc import Iterator
from typing import Any

from graphql import BREAK, DocumentNode, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from devportal.errors import BadUserInput
from devportal.settings import Settings

NUL = "\x00"
MESSAGE = "Text cannot contain the NUL character (U+0000) or unpaired surrogates."
DEFAULT_MAX_LENGTH = Settings.model_fields["max_text_length"].default


class RefuseUnstorableText(SchemaExtension):
    """No text may hold U+0000 or a lone surrogate, nor be longer than any field takes.

    PostgreSQL cannot even compare a NUL, and a lone surrogate cannot be
    encoded at all. Refused once here, for every string in the document or
    the variables, rather than in each resolver (a log-in or a search would
    otherwise fail as an internal error). The length is checked here too
    (``DEVPORTAL_MAX_TEXT_LENGTH``), so that nothing costly in a resolver
    (email-validator, Argon2) ever sees a string of a megabyte.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        settings = getattr(context.context, "settings", None)
        limit = settings.max_text_length if isinstance(settings, Settings) else DEFAULT_MAX_LENGTH
        problem = _problem_in_values(context.variables, limit) or _problem_in_document(
            context.graphql_document, limit
        )
        if problem:
            raise BadUserInput(problem)
        yield


def _problem(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"Text cannot be longer than {limit} characters."
    if NUL in text:
        return MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return MESSAGE
    return None


def _problem_in_values(value: Any, limit: int) -> str | None:
    """Walks with a stack of its own: variables may nest deeper than Python recurses."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            problem = _problem(item, limit)
            if problem:
                return problem
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


class _Finder(Visitor):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.problem: str | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> object:
        self.problem = _problem(node.value, self.limit)
        return BREAK if self.problem else None


def _problem_in_document(document: DocumentNode | None, limit: int) -> str | None:
    if document is None:
        return None
    finder = _Finder(limit)
    visit(document, finder)
    return finder.problem
