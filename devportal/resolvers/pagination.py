"""Keyset pagination: cursors name a row, so inserts between pages shift nothing."""

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from devportal.errors import BadUserInput
from devportal.resolvers.checks import parse_id

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 100
_PREFIX = "cursor:"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total: int


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{key}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    key = parse_id(text.removeprefix(_PREFIX)) if text.startswith(_PREFIX) else None
    if key is None:
        raise BadUserInput("`after` is not a cursor this list gave out.")
    return key


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0:
        raise BadUserInput("`first` cannot be negative.")
    return min(first, MAX_PAGE)


@dataclass(frozen=True)
class PageRequest:
    """One parent's page of a nested list: what a DataLoader is asked for.

    Checked when made (a bad ``first`` or cursor is BAD_USER_INPUT before any
    query), and hashable, so equal requests in one operation are loaded once.
    """

    parent: int
    size: int
    after: int | None

    @classmethod
    def of(cls, parent: int, *, first: int | None, after: str | None) -> "PageRequest":
        return cls(parent, page_size(first), decode_cursor(after) if after is not None else None)


async def paginate(
    session: AsyncSession,
    statement: sa.Select[Any],
    *,
    key: Any,
    first: int | None,
    after: str | None,
    newest_first: bool = False,
) -> Page[Any]:
    """Page through ``statement`` (which selects one entity) in ascending ``key`` order
    (descending with ``newest_first``).

    ``key`` is a unique, never-reused integer column (the primary key), so the
    order is creation order and a cursor stays valid whatever is inserted.

    One statement: each row of the page carries the whole list's count. Only a
    page past the end of the list, which has no row to carry it, counts apart.
    """
    size = page_size(first)
    count = sa.select(sa.func.count()).select_from(statement.subquery()).scalar_subquery()
    paged = statement.add_columns(count.label("total"))
    if after is not None:
        cursor = decode_cursor(after)
        paged = paged.where(key < cursor if newest_first else key > cursor)
    order = key.desc() if newest_first else key
    rows = list(await session.execute(paged.order_by(order).limit(size + 1)))
    items = [item for item, _total in rows[:size]]
    if rows:
        total = rows[0].total
    elif after is None:
        total = 0
    else:
        total = await session.scalar(sa.select(count))
    return Page(
        items=items,
        cursors=[encode_cursor(sa.inspect(item).identity[0]) for item in items],
        has_next=len(rows) > size,
        has_previous=after is not None,
        total=total or 0,
    )
