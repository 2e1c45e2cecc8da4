"""Relay connections over offset pages: opaque cursors, `totalCount`, `pageInfo`."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry
from strawberry import relay

from resolvers.errors import Invalid
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, Window

T = TypeVar("T")
CURSOR_PREFIX = "offset:"


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str, argument: str) -> int:
    try:
        raw = base64.b64decode(cursor, validate=True).decode()
        if raw.startswith(CURSOR_PREFIX) and raw[len(CURSOR_PREFIX) :].isdigit():
            return int(raw[len(CURSOR_PREFIX) :])
    except ValueError:
        pass
    raise Invalid(argument, "Invalid cursor.")


def _size(value: int, argument: str) -> int:
    if not 0 <= value <= MAX_PAGE_SIZE:
        raise Invalid(argument, f"{argument} must be between 0 and {MAX_PAGE_SIZE}.")
    return value


async def window_for(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    count: Callable[[], Awaitable[int]],
) -> Window:
    """The offset window the Relay arguments select (`count` only runs for `last` alone)."""
    if first is not None and last is not None:
        raise Invalid("first", "Pass either first or last, not both.")
    start = decode_cursor(after, "after") + 1 if after else 0
    end = decode_cursor(before, "before") if before else None
    if last is not None:
        if end is None:
            end = await count()
        size = _size(last, "last")
        start = max(start, end - size)
        return Window(start, max(end - start, 0))
    size = _size(first if first is not None else DEFAULT_PAGE_SIZE, "first")
    if end is not None:
        size = min(size, max(end - start, 0))
    return Window(start, size)


def forward_window(first: int | None, after: str | None) -> Window:
    """The window of a forward-only connection (`first`/`after`)."""
    start = decode_cursor(after, "after") + 1 if after else 0
    return Window(start, _size(first if first is not None else DEFAULT_PAGE_SIZE, "first"))


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: relay.PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page) -> Connection:
        edges = [
            Edge(node=item, cursor=encode_cursor(page.offset + i))
            for i, item in enumerate(page.items)
        ]
        return cls(
            edges=edges,
            total_count=page.total,
            page_info=relay.PageInfo(
                has_next_page=page.offset + len(page.items) < page.total,
                has_previous_page=page.offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
