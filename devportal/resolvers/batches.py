"""Batch loads for DataLoaders: one query for many keys, answers in the keys' order."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel

from devportal.caches import TableCache
from devportal.resolvers.pagination import Page, PageRequest, encode_cursor

Row = TypeVar("Row", bound=SQLModel)


async def rows_by_id(
    session: AsyncSession, model: type[Row], ids: Sequence[int]
) -> list[Row | None]:
    """The rows with these primary keys (None where there is none)."""
    id_column: Any = model.id  # type: ignore[attr-defined]
    rows = await session.scalars(sa.select(model).where(id_column.in_(ids)))
    found = {row.id: row for row in rows}  # type: ignore[attr-defined]
    return [found.get(i) for i in ids]


class RowsById(TableCache[int, Any]):
    """Rows of one table by id, for this process: read once, forgotten on any write to it.

    For small tables read on almost every request (the catalog's services and
    versions): an event to 10,000 subscribers, or a list of 50 applications,
    reads them from memory. The rows are shared: callers only read them.
    """

    def __init__(self, model: type[SQLModel], max_entries: int = 10_000) -> None:
        super().__init__([str(model.__tablename__)], max_entries, f"rows_{model.__tablename__}")
        self.model = model


async def cached_rows_by_id(
    cache: RowsById, session: AsyncSession, ids: Sequence[int]
) -> list[Any]:
    """``rows_by_id``, asking the database only for the rows ``cache`` does not hold."""
    generation = cache.generation
    found = {i: row for i in ids if (row := cache.get(i)) is not None}
    missing = [i for i in ids if i not in found]
    if missing:
        for i, row in zip(missing, await rows_by_id(session, cache.model, missing), strict=True):
            if row is not None:
                cache.put(generation, i, row)
                found[i] = row
    return [found.get(i) for i in ids]


async def rows_grouped_by(
    session: AsyncSession, model: type[Row], key: str, keys: Sequence[int]
) -> list[list[Row]]:
    """For each key, the rows whose ``key`` column holds it, oldest first."""
    key_column: Any = getattr(model, key)
    id_column: Any = model.id  # type: ignore[attr-defined]
    rows = await session.scalars(sa.select(model).where(key_column.in_(keys)).order_by(id_column))
    grouped: dict[int, list[Row]] = {k: [] for k in keys}
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped[k] for k in keys]


async def pages_grouped_by(
    session: AsyncSession,
    model: type[Row],
    key: str,
    requests: Sequence[PageRequest],
    *,
    where: Any = None,
) -> list[Page[Row]]:
    """For each request, a page of the rows whose ``key`` column holds its parent.

    Pages as ``pagination.paginate`` makes them (oldest first, keyset cursors,
    the whole list's total), in one statement for all the parents that ask
    for the same page size and cursor: in practice, one per list level.
    ``where`` keeps only the rows it holds true for.
    """
    parents_by_window: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for request in requests:
        parents_by_window[request.size, request.after].append(request.parent)
    pages: dict[PageRequest, Page[Row]] = {}
    for (size, after), parents in parents_by_window.items():
        found = await _pages(session, model, key, parents, size=size, after=after, where=where)
        for parent in parents:
            pages[PageRequest(parent, size, after)] = found[parent]
    return [pages[request] for request in requests]


async def _pages(
    session: AsyncSession,
    model: type[Row],
    key: str,
    parents: Sequence[int],
    *,
    size: int,
    after: int | None,
    where: Any,
) -> dict[int, Page[Row]]:
    found: dict[int, list[Row]] = {parent: [] for parent in parents}
    more: set[int] = set()
    totals: dict[int, int] = {}
    statement = _numbered(model, key, parents, size=size, after=after, where=where)
    for row, ahead, total in await session.execute(statement):
        parent = getattr(row, key)
        totals[parent] = total
        if ahead > size:
            more.add(parent)
        elif ahead >= 1:
            found[parent].append(row)
    return {
        parent: Page(
            items=rows,
            cursors=[encode_cursor(row.id) for row in rows],  # type: ignore[attr-defined]
            has_next=parent in more,
            has_previous=after is not None,
            total=totals.get(parent, 0),
        )
        for parent, rows in found.items()
    }


def _numbered(
    model: type[Row],
    key: str,
    parents: Sequence[int],
    *,
    size: int,
    after: int | None,
    where: Any = None,
) -> sa.Select[Any]:
    """Each parent's rows with ``ahead``, their number past the cursor, and the list's total.

    Rows ``ahead`` 1 to ``size`` are the page, and row ``size + 1`` says there is
    a next one. Each parent's first row comes too, whatever the cursor, to carry
    the total when no row is left past the cursor (it is not in the page then:
    its ``ahead`` is 0). Window functions: SQLite 3.25 or later, and PostgreSQL.
    """
    parent_column: Any = getattr(model, key)
    id_column: Any = model.id  # type: ignore[attr-defined]
    ordinal: Any = sa.func.row_number().over(partition_by=parent_column, order_by=id_column)
    ahead: Any = ordinal
    if after is not None:
        past_cursor = sa.case((id_column > after, 1), else_=0)
        ahead = sa.func.sum(past_cursor).over(partition_by=parent_column, order_by=id_column)
    numbered = (
        sa.select(
            model,
            ahead.label("ahead"),
            ordinal.label("ordinal"),
            sa.func.count().over(partition_by=parent_column).label("total"),
        )
        .where(parent_column.in_(parents), sa.true() if where is None else where)
        .subquery()
    )
    columns = numbered.c
    return (
        sa.select(aliased(model, numbered), columns.ahead, columns.total)
        .where(sa.or_(columns.ahead.between(1, size + 1), columns.ordinal == 1))
        .order_by(columns.id)
    )
