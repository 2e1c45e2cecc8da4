"""Bounded pages for every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from resolvers.errors import Invalid

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Window:
    offset: int = 0
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def window(offset: int = 0, limit: int | None = None, max_limit: int = MAX_PAGE_SIZE) -> Window:
    """Validate an (offset, limit) pair against the door's maximum page size."""
    if limit is None:
        limit = min(DEFAULT_PAGE_SIZE, max_limit)
    if limit < 1 or limit > max_limit:
        raise Invalid("limit", f"Page size must be between 1 and {max_limit}.")
    if offset < 0:
        raise Invalid("offset", "Offset must not be negative.")
    return Window(offset, limit)


async def paginate(queryset, win: Window) -> Page:
    """One COUNT and one SELECT, whatever the page size."""
    total = await queryset.count()
    items = await queryset.offset(win.offset).limit(win.limit)
    return Page(items=list(items), total=total, offset=win.offset, limit=win.limit)
