"""Batch loads for DataLoaders: one query for many keys, answers in the keys' order."""

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

Row = TypeVar("Row", bound=SQLModel)


async def rows_by_id(
    session: AsyncSession, model: type[Row], ids: Sequence[int]
) -> list[Row | None]:
    """The rows with these primary keys (None where there is none)."""
    id_column: Any = model.id  # type: ignore[attr-defined]
    rows = await session.scalars(sa.select(model).where(id_column.in_(ids)))
    found = {row.id: row for row in rows}  # type: ignore[attr-defined]
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
