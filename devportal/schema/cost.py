"""The cost limit: how many fields an operation may resolve, lists multiplied by their size.

Each field costs 1. A connection (a field with a ``first`` argument) resolves its
``edges`` or ``nodes`` once per item of its page, so their selections count as
often as the page can hold: ``first`` capped at the largest page, or the default
page without it, exactly as the resolvers page (``first`` may be a variable, so
the cost is known only with the request's variables). Any other list counts its
selection once per item it can hold: introspection lists as long as this schema
makes them, the rest as one default page.

Introspection has a budget of its own: twice what the standard introspection
query (GraphiQL's, say) may cost on this schema. It is counted in full, since a
query that nests ``fields { type { ofType { fields …`` grows exponentially.

Linear like the other limits: each fragment is costed once (see ``limits``).
Where a fragment sits inside a connection, the part of its cost that grows with
the connection's page (its ``edges`` and ``nodes``) is kept apart, as a cost
per item, and multiplied where the fragment is spread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_abstract_type,
    is_composite_type,
    is_enum_type,
    is_input_object_type,
    is_interface_type,
    is_list_type,
    is_object_type,
    parse,
    value_from_ast_untyped,
)

from devportal.errors import BadUserInput
from devportal.resolvers.pagination import DEFAULT_PAGE, MAX_PAGE, page_size
from devportal.schema.limits import fragments_of, in_dependency_order

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


FULL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
    one_of=True,
)
"""The standard introspection query at its fullest (what GraphiQL asks, and more)."""


class Cost(NamedTuple):
    data: int
    introspection: int


class _Part(NamedTuple):
    """A selection's cost, and its cost per item of the enclosing connection's page."""

    fixed: int = 0
    per_item: int = 0

    def __add__(self, other: tuple[Any, ...]) -> _Part:
        assert isinstance(other, _Part)
        return _Part(self.fixed + other.fixed, self.per_item + other.per_item)


_FREE = _Part()


def _introspection_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """The longest each introspection list can be in this schema."""
    types = list(schema.type_map.values())
    with_fields = [t for t in types if is_object_type(t) or is_interface_type(t)]
    fields = [f for t in with_fields for f in t.fields.values()]
    return {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): max((len(t.fields) for t in with_fields), default=0),
        ("__Type", "interfaces"): max((len(t.interfaces) for t in with_fields), default=0),
        ("__Type", "possibleTypes"): max(
            (len(schema.get_possible_types(t)) for t in types if is_abstract_type(t)), default=0
        ),
        ("__Type", "enumValues"): max((len(t.values) for t in types if is_enum_type(t)), default=0),
        ("__Type", "inputFields"): max(
            (len(t.fields) for t in types if is_input_object_type(t)), default=0
        ),
        ("__Field", "args"): max((len(f.args) for f in fields), default=0),
        ("__Directive", "args"): max((len(d.args) for d in schema.directives), default=0),
    }


class CostModel:
    """The cost of operations on one schema; built once with it."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.sizes = _introspection_sizes(schema)
        self.connections = {
            get_named_type(field.type)
            for type_ in schema.type_map.values()
            if is_object_type(type_) or is_interface_type(type_)
            for field in type_.fields.values()
            if "first" in field.args
        }
        full = parse(FULL_INTROSPECTION)
        self.introspection_budget = 2 * self.cost(full, None, {}).introspection

    def cost(self, document: Any, operation_name: str | None, variables: Mapping[str, Any]) -> Cost:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return Cost(0, 0)
        values = _variable_defaults(operation)
        values.update(variables)
        data = _Walk(self, values, introspection=False).operation(document, operation)
        everything = _Walk(self, values, introspection=True).operation(document, operation)
        return Cost(data, everything - data)


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    return {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }


@dataclass
class _Walk:
    """One costing of one operation; introspection fields count 1, or in full."""

    model: CostModel
    values: Mapping[str, Any]
    introspection: bool

    def operation(self, document: Any, operation: OperationDefinitionNode) -> int:
        root = self.model.schema.get_root_type(operation.operation)
        measured: dict[str, _Part] = {}
        for fragment in in_dependency_order(fragments_of(document)):
            type_ = self.model.schema.get_type(fragment.type_condition.name.value)
            measured[fragment.name.value] = self.selection(fragment.selection_set, type_, measured)
        part = self.selection(operation.selection_set, root, measured)
        return part.fixed + DEFAULT_PAGE * part.per_item

    def selection(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        measured: Mapping[str, _Part],
    ) -> _Part:
        total = _FREE
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, measured)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.model.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(selection.selection_set, type_, measured)
            elif isinstance(selection, FragmentSpreadNode):
                total += measured.get(selection.name.value, _FREE)
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType | None, measured: Mapping[str, _Part]
    ) -> _Part:
        name = node.name.value
        field = self.model.schema.get_field(parent, name) if is_composite_type(parent) else None
        if field is None or node.selection_set is None:
            return _Part(1)
        if name in INTROSPECTION_ROOTS and not self.introspection:
            return _Part(1)
        child = self.selection(node.selection_set, get_named_type(field.type), measured)
        if "first" in field.args:
            return _Part(1 + child.fixed + _page(node, self.values) * child.per_item)
        item = child.fixed + DEFAULT_PAGE * child.per_item
        if not is_list_type(get_nullable_type(field.type)):
            return _Part(1 + item)
        if parent in self.model.connections:
            return _Part(1, item)
        assert parent is not None
        return _Part(1 + self.model.sizes.get((parent.name, name), DEFAULT_PAGE) * item)


def _page(node: FieldNode, values: Mapping[str, Any]) -> int:
    """The page size the resolver will use for this field's ``first``."""
    argument = next((a for a in node.arguments or () if a.name.value == "first"), None)
    first: Any = None
    if argument is not None and isinstance(argument.value, IntValueNode):
        first = int(argument.value.value)
    elif argument is not None and isinstance(argument.value, VariableNode):
        first = values.get(argument.value.name.value)
    if first is not None and type(first) is not int:
        return MAX_PAGE  # not a number: refused when the variables are read
    try:
        return page_size(first)
    except BadUserInput:
        return 0
