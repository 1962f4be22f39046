"""The one place that decides what an error looks like to a client, and how it is logged.

Domain errors keep their message and code. GraphQL's own errors (syntax,
validation, variables) become ``BAD_USER_INPUT``, or ``QUERY_TOO_COMPLEX`` when
a limit refused the query. Anything else is a bug: it is logged with its
traceback and reaches the client only as ``INTERNAL_SERVER_ERROR``.
"""

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError, InvalidGlobalIDError

from devportal.errors import DomainError
from devportal.metrics import GRAPHQL_ERRORS

log = logging.getLogger("devportal.graphql")

CONTRACT_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "CONFLICT",
        "APP_REGISTRATION_DISABLED",
        "INVALID_CREDENTIALS",
        "EMAIL_NOT_CONFIRMED",
        "ACCOUNT_PENDING_APPROVAL",
        "ACCOUNT_DISABLED",
        "INVALID_TOKEN",
        "RATE_LIMITED",
        "QUERY_TOO_COMPLEX",
        "INTERNAL_SERVER_ERROR",
    }
)
INTERNAL_MESSAGE = "Internal server error."
# What Strawberry's QueryDepthLimiter, MaxAliasesLimiter and MaxTokensLimiter say, and
# graphql-core when a document nests too deeply to parse or costs too much to validate
# (not "Too many validation errors, ... Validation aborted.", which is bad input).
_LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth of \d+"
    r"|^\d+ aliases found\. Allowed: \d+"
    r"|Document contains more than \d+ tokens"
    r"|Document is nested too deeply"
    r"|^Validation aborted\.$"
)


def is_unexpected(error: GraphQLError) -> bool:
    """A bug rather than a refusal: an exception that is neither ours nor GraphQL's."""
    original = error.original_error
    if original is None or isinstance(original, DomainError | GraphQLError):
        return False
    return not isinstance(original, InvalidGlobalIDError | GlobalIDValueError)


def contract_code(error: GraphQLError) -> str:
    original = error.original_error
    code = (error.extensions or {}).get("code")
    if isinstance(original, DomainError) or code in CONTRACT_CODES:
        return str(code)
    if isinstance(original, InvalidGlobalIDError):
        return "BAD_USER_INPUT"
    if isinstance(original, GlobalIDValueError):
        return "NOT_FOUND"
    if is_unexpected(error):
        return "INTERNAL_SERVER_ERROR"
    if _LIMIT_MESSAGES.search(error.message):
        return "QUERY_TOO_COMPLEX"
    return "BAD_USER_INPUT"


def to_contract(error: GraphQLError) -> GraphQLError:
    code = contract_code(error)
    message = INTERNAL_MESSAGE if code == "INTERNAL_SERVER_ERROR" else error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code},
    )


def log_errors(errors: list[GraphQLError]) -> None:
    """One line for a refusal; the traceback for a bug."""
    for error in errors:
        GRAPHQL_ERRORS.labels(contract_code(error)).inc()
        if is_unexpected(error):
            log.error(
                "unexpected error at %s: %s",
                ".".join(map(str, error.path or [])) or "(operation)",
                error.message,
                exc_info=error.original_error,
            )
        else:
            log.info("refused (%s): %s", contract_code(error), error.message)


class ContractErrors(SchemaExtension):
    """Rewrites every error of a result into the contract's shape, after it was logged."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            # ParserCache parses in a hook, so a syntax error (the token limit too) leaves
            # the operation as an exception, which Strawberry answers as it is.
            raise to_contract(error) from None
        _to_contract(self.execution_context.result)

    def on_stream_result(self, result: object) -> Iterator[None]:
        """The same for each result sent over a WebSocket, before it is sent."""
        _to_contract(result)
        yield


def _to_contract(result: object) -> None:
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [to_contract(error) for error in errors]  # type: ignore[attr-defined]
