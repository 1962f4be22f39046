"""Strawberry types and the root Query/Mutation/Subscription: thin, no business rules."""

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from devportal.schema.context import OperationScopes
from devportal.schema.errors import ContractErrors, log_errors
from devportal.schema.inputs import RefuseUnstorableText
from devportal.schema.mutation import Mutation
from devportal.schema.query import Query
from devportal.schema.subscription import Subscription
from devportal.settings import Settings


class DevportalSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema, with the query limits and (with GraphiQL off) no introspection."""
    introspection = [] if settings.graphiql else [DisableIntrospection]
    return DevportalSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            ContractErrors,
            OperationScopes,
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(ParserCache, maxsize=256),
            partial(ValidationCache, maxsize=256),
            partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
            partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
            RefuseUnstorableText,
            *introspection,
        ],
    )


def sdl() -> str:
    """The schema in GraphQL SDL, as committed in schema.graphql at the repository root."""
    return build_schema(Settings(graphiql=True)).as_str() + "\n"
