"""Relay plumbing: connections built from a resolver's ``Page``, and global IDs."""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.info import Info

from devportal.errors import NotFound
from devportal.resolvers.checks import parse_id
from devportal.resolvers.pagination import Page

NodeT = TypeVar("NodeT")


@strawberry.type(description="One item of a list, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` to get the items after this one.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(
    description="A page of a list. `first` defaults to 20 and is capped at 100; "
    "pass `pageInfo.endCursor` as `after` for the next page."
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items with their cursors.")
    nodes: list[NodeT] = strawberry.field(description="The items alone.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="How many items the whole list holds.")

    @classmethod
    def of(cls, page: Page[Any], convert: Callable[[Any], NodeT]) -> "Connection[NodeT]":
        nodes = [convert(item) for item in page.items]
        return cls(
            edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
            nodes=nodes,
            page_info=relay.PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total_count=page.total,
        )


def node_pk(global_id: relay.GlobalID, type_name: str) -> int:
    """The primary key inside a global ID of ``type_name``; NOT_FOUND for anything else."""
    pk = parse_id(global_id.node_id) if global_id.type_name == type_name else None
    if pk is None:
        raise NotFound(f"No such {type_name}.")
    return pk


async def find_node(info: Info[Any, Any], global_id: relay.GlobalID) -> relay.Node | None:
    """For ``node``: the object, or None when no object can have this ID (as Relay expects).

    Strawberry takes any type name at its word: ``Node`` itself (an interface)
    fails inside it as an internal error, and ``Query`` or ``PageInfo`` as
    errors. Only an object type that is a node can name one.
    """
    definition = info.schema.get_type_by_name(global_id.type_name)
    if not isinstance(definition, StrawberryObjectDefinition) or definition.is_interface:
        return None
    origin = definition.origin
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    node: relay.Node | None = await global_id.resolve_node(info, required=False)
    return node


RowT = TypeVar("RowT")


async def visible_nodes(
    node_ids: Iterable[str],
    fetch: Callable[[int], Awaitable[RowT | None]],
    convert: Callable[[RowT], NodeT],
) -> list[NodeT | None]:
    """For ``node``: each ID's object if the viewer may see it (``fetch`` decides), else None."""
    found: list[NodeT | None] = []
    for pk in map(parse_id, node_ids):
        row = await fetch(pk) if pk is not None else None
        found.append(convert(row) if row is not None else None)
    return found
