"""Query limits measured in one pass over the document: depth, aliases, directives, cost.

However a document is shaped, each limit costs time linear in its size. A fragment
is measured once, in an order where every fragment it spreads was measured before
it; a spread then adds the fragment's measure, so a fragment spread four times
counts four times without being walked four times (the nested "fragment bomb" that
expands to millions of fields is measured in microseconds). A spread that closes a
cycle counts nothing: validation refuses cycles anyway, and this must not loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

TOO_COMPLEX = {"code": "QUERY_TOO_COMPLEX"}


def too_complex(message: str, *nodes: Any) -> GraphQLError:
    return GraphQLError(message, nodes=list(nodes) or None, extensions=dict(TOO_COMPLEX))


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _spread_names(selection_set: SelectionSetNode) -> list[str]:
    names: dict[str, None] = {}
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names[selection.name.value] = None
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
    return list(names)


def in_dependency_order(
    fragments: Mapping[str, FragmentDefinitionNode],
) -> list[FragmentDefinitionNode]:
    """Every fragment after the fragments it spreads; a cycle is cut where it closes.

    Depth-first with a stack of its own (a chain of fragments may be longer than
    Python recurses), visiting each spread once.
    """
    spreads = {name: _spread_names(fragment.selection_set) for name, fragment in fragments.items()}
    order: list[FragmentDefinitionNode] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(spreads[root]))]
        while stack:
            name, pending = stack[-1]
            child = next((c for c in pending if c in fragments and c not in seen), None)
            if child is None:
                stack.pop()
                order.append(fragments[name])
            else:
                seen.add(child)
                stack.append((child, iter(spreads[child])))
    return order


# --- depth, aliases, directives ------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_directives: int


@dataclass(frozen=True)
class _Shape:
    depth: int = 0
    aliases: int = 0
    directives: int = 0


_NOTHING = _Shape()


def _shape(selection_set: SelectionSetNode, measured: Mapping[str, _Shape]) -> _Shape:
    """Depth counts levels of fields with a selection, as Strawberry's QueryDepthLimiter
    does, and introspection fields (``__schema``, ``__type``) add no depth; aliases and
    directives are counted as often as the document would be expanded."""
    depth = aliases = directives = 0
    for selection in selection_set.selections:
        directives += len(selection.directives or ())
        if isinstance(selection, FragmentSpreadNode):
            inner = measured.get(selection.name.value, _NOTHING)
        elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
            inner = _shape(selection.selection_set, measured)
        else:
            inner = _NOTHING
        aliases += inner.aliases
        directives += inner.directives
        if not isinstance(selection, FieldNode):
            depth = max(depth, inner.depth)
            continue
        aliases += selection.alias is not None
        if selection.selection_set is not None and not selection.name.value.startswith("__"):
            depth = max(depth, inner.depth + 1)
    return _Shape(depth, aliases, directives)


def _count(number: int) -> str:
    return str(number) if number < 10**9 else "over a billion"


def static_limit_error(document: DocumentNode, limits: Limits) -> GraphQLError | None:
    """The first limit the document goes over, if any (one error, one log line)."""
    measured: dict[str, _Shape] = {}
    for fragment in in_dependency_order(fragments_of(document)):
        shape = _shape(fragment.selection_set, measured)
        own = len(fragment.directives or ())
        measured[fragment.name.value] = _Shape(shape.depth, shape.aliases, shape.directives + own)
    aliases = directives = 0
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        shape = _shape(operation.selection_set, measured)
        if shape.depth > limits.max_depth:
            name = operation.name.value if operation.name else "anonymous"
            return too_complex(
                f"'{name}' exceeds maximum operation depth of {limits.max_depth}", operation
            )
        aliases += shape.aliases
        directives += shape.directives + len(operation.directives or ())
    if aliases > limits.max_aliases:
        return too_complex(f"{_count(aliases)} aliases found. Allowed: {limits.max_aliases}")
    if directives > limits.max_directives:
        return too_complex(
            f"{_count(directives)} directives found. Allowed: {limits.max_directives}"
        )
    return None
