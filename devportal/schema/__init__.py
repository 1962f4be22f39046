"""Strawberry types and the root Query/Mutation/Subscription: thin, no business rules."""

from collections.abc import Iterable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from devportal.schema.context import OperationScopes
from devportal.schema.errors import ContractErrors, log_errors
from devportal.schema.inputs import RefuseUnstorableText
from devportal.schema.introspection import AdminsOnlyIntrospection
from devportal.schema.mutation import Mutation
from devportal.schema.query import Query
from devportal.schema.subscription import Subscription
from devportal.schema.validation import (
    CACHE_SIZE,
    CheckedValidation,
    QuietExecutionContext,
    Validation,
)
from devportal.settings import Settings


class DevportalSchema(strawberry.Schema):
    validation: Validation

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """One answer for one operation (HTTP): never a subscription, which needs a stream.

        Strawberry allows subscriptions in a plain POST or GET and runs them as a
        query, which failed inside the resolver as an internal error. Refused
        instead as any operation of the wrong kind for the request: ``400``.
        """
        if allowed_operation_types is not None:
            allowed_operation_types = set(allowed_operation_types) - {OperationType.SUBSCRIPTION}
        return await super().execute(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed_operation_types,
            operation_extensions=operation_extensions,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(settings: Settings) -> DevportalSchema:
    """The schema, with the query limits and (with GraphiQL off) no introspection, nor
    suggestions that would reveal what introspection hides; or introspection for admins
    only, and no suggestions for anyone."""
    introspection: list[type[SchemaExtension]] = [] if settings.graphiql else [DisableIntrospection]
    if settings.graphiql and settings.introspection_admins_only:
        introspection = [AdminsOnlyIntrospection]
    validation = Validation(settings)
    schema = DevportalSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            ContractErrors,
            OperationScopes,
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(ParserCache, maxsize=CACHE_SIZE),
            partial(CheckedValidation, validation),
            RefuseUnstorableText,
            *introspection,
        ],
        execution_context_class=QuietExecutionContext if validation.hide_suggestions else None,
    )
    validation.bind(schema._schema)
    schema.validation = validation
    return schema


def sdl() -> str:
    """The schema in GraphQL SDL, as committed in schema.graphql at the repository root."""
    return build_schema(Settings(graphiql=True)).as_str() + "\n"
