"""Validation: the query limits first, then GraphQL's rules, each once per document.

The limits (``limits``, ``cost``) are linear in the document, so they run first:
a document over one of them is refused with one error before graphql-core's
rules, some of which are not linear, see it. Of those, the check that fields
with the same name can be merged compares fields pairwise; graphql-core lets it
spend a budget of comparisons, and ours is far below its default (a few
kilobytes of repeated fields took seconds), and far above what real queries
spend (none, unless they repeat a field).

Strawberry's ``ValidationCache`` keys its cache on the rule classes, and its depth
and alias limiters built new classes for every request, so it never hit. Here
results are kept per schema, keyed on the parsed document itself, by identity:
``ParserCache`` hands out the same document for the same text, so a hit costs
no walk over it. The cost depends on the variables (a page size may be one) and
is kept per document and page-size variables.

With introspection off, GraphQL's "Did you mean …?" suggestions would give away
the schema that introspection hides, so graphql-core is told to leave them out,
in validation and when it reads variables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import _CacheInfo, lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from devportal.schema.cost import Cost, CostModel
from devportal.schema.limits import Limits, static_limit_error, too_complex
from devportal.settings import Settings

CACHE_SIZE = 256  # documents; ParserCache keeps as many
# Comparisons of same-named fields before validation gives up ("Validation aborted.",
# QUERY_TOO_COMPLEX): about 30 ms; graphql-core's default, 500,000, is seconds.
OVERLAP_BUDGET = 10_000

Rules = tuple[type[ASTValidationRule], ...]


class _Same:
    """A document as a cache key: by identity, holding it so its id cannot be reused."""

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode) -> None:
        self.document = document

    def __hash__(self) -> int:
        return id(self.document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.document is self.document


_NOT_A_PAGE_SIZE = object()


def _page_variables(variables: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """What a cost can depend on: which variables are set, and those that could be a page
    size (a number, or null) as they are (``first: "10"`` counts as the largest page)."""
    items = (variables or {}).items()
    return tuple(
        sorted(
            ((k, v if v is None or type(v) is int else _NOT_A_PAGE_SIZE) for k, v in items),
            key=lambda item: item[0],
        )
    )


class Validation:
    """The document checks of one schema: built with it, shared by every request."""

    def __init__(self, settings: Settings) -> None:
        self.limits = Limits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_directives=settings.max_directives,
        )
        self.max_cost = settings.max_query_cost
        self.introspection = settings.graphiql
        # Suggestions name what introspection would show: only where anyone may introspect.
        self.hide_suggestions = not settings.graphiql or settings.introspection_admins_only
        self._schema: GraphQLSchema | None = None
        self._cost_model: CostModel | None = None
        self._limit_error = lru_cache(maxsize=CACHE_SIZE)(self._static_limit_error)
        self._cost = lru_cache(maxsize=CACHE_SIZE)(self._operation_cost)
        self._validate = lru_cache(maxsize=CACHE_SIZE)(self._validate_document)
        overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = OVERLAP_BUDGET

    def bind(self, schema: GraphQLSchema) -> None:
        self._schema = schema
        self._cost_model = CostModel(schema)

    def cache_info(self) -> _CacheInfo:
        """Of GraphQL's rules, the expensive part."""
        return self._validate.cache_info()

    def errors(
        self,
        document: DocumentNode,
        rules: Rules,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> list[GraphQLError]:
        key = _Same(document)
        error = self._limit_error(key) or self._cost_error(key, operation_name, variables)
        return [error] if error else self._validate(key, rules)

    def _cost_error(
        self, key: _Same, operation_name: str | None, variables: dict[str, Any] | None
    ) -> GraphQLError | None:
        assert self._cost_model is not None, "bind() the schema first"
        cost = self._cost(key, operation_name, _page_variables(variables))
        if cost.data > self.max_cost:
            return too_complex(f"The operation costs {cost.data}; the limit is {self.max_cost}.")
        budget = self._cost_model.introspection_budget
        # Without introspection, validation refuses it, and says nothing of its size.
        if self.introspection and cost.introspection > budget:
            return too_complex(
                f"The introspection costs {cost.introspection}; the limit is {budget}."
            )
        return None

    def _static_limit_error(self, key: _Same) -> GraphQLError | None:
        return static_limit_error(key.document, self.limits)

    def _operation_cost(
        self, key: _Same, operation_name: str | None, variables: tuple[tuple[str, Any], ...]
    ) -> Cost:
        assert self._cost_model is not None, "bind() the schema first"
        return self._cost_model.cost(key.document, operation_name, dict(variables))

    def _validate_document(self, key: _Same, rules: Rules) -> list[GraphQLError]:
        assert self._schema is not None, "bind() the schema first"
        return validate(
            self._schema,
            key.document,
            (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
            hide_suggestions=self.hide_suggestions,
        )


class CheckedValidation(SchemaExtension):
    """Validates through the schema's ``Validation``, in place of Strawberry's step."""

    def __init__(self, validation: Validation) -> None:
        self.validation = validation

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = self.validation.errors(
            context.graphql_document,
            context.validation_rules,
            context.operation_name,
            context.variables,
        )
        yield


class QuietExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Reads variables without "Did you mean …?" suggestions (introspection is off)."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
