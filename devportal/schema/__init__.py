"""Strawberry types and the root Query/Mutation/Subscription: thin, no business rules."""

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from devportal.schema.context import Context
from devportal.schema.errors import ContractErrors, log_errors
from devportal.schema.mutation import Mutation
from devportal.schema.query import Query
from devportal.settings import Settings


class CloseSession(SchemaExtension):
    """Give the read session's connection back to the pool once an operation is done."""

    async def on_operation(self) -> Any:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            await context.reset()


class DevportalSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(settings: Settings) -> strawberry.Schema:
    return DevportalSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            ContractErrors,
            CloseSession,
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(ParserCache, maxsize=256),
            partial(ValidationCache, maxsize=256),
            partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
            partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        ],
    )
