"""Relay connections over keyset pages: opaque cursors tied to their ordering.

A cursor names a row's position in one ordering: `base64("<Type>.<column>.<asc|desc>[,…]|<id>|<sort
values, |-separated>")`. The next page is the rows strictly after it in that order
(`(sort, id) > (?, ?)`),
so rows created or deleted between two requests never repeat or skip one. A cursor is checked
when it comes back: it must be well formed, of this connection's type and ordering, and its
values must parse; anything else is BAD_USER_INPUT. A cursor forged by hand can only name a
position: it never widens what the caller sees (filters and permissions apply as always).

Every connection needs `first` or `last` (0 to MAX_PAGE_SIZE), as GitHub's do.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay

from resolvers.errors import Invalid
from resolvers.pagination import MAX_PAGE_SIZE, Keyset, Slice
from resolvers.validation import parse_id

T = TypeVar("T")
DATETIME_COLUMNS = {"created_at", "updated_at"}
MAX_CURSOR_CHARS = 200


@dataclass(frozen=True)
class Ordering:
    """What a connection's cursors are tied to: its type and its sort columns and directions."""

    scope: str
    sorts: tuple[tuple[str, bool], ...]

    @property
    def tag(self) -> str:
        keys = ",".join(f"{name}.{'desc' if desc else 'asc'}" for name, desc in self.sorts)
        return f"{self.scope}.{keys}"


COMMENT_ORDER = Ordering("Comment", (("created_at", False),))
HISTORY_ORDER = Ordering("Event", (("id", False),))
USER_ORDER = Ordering("User", (("id", False),))
FIRST = f"The first n items (0 to {MAX_PAGE_SIZE}) after `after`; pass `first` or `last`."
AFTER = "A cursor of this list: the page starts after it."
LAST = f"The last n items (0 to {MAX_PAGE_SIZE}) before `before`; pass `first` or `last`."
BEFORE = "A cursor of this list: the page ends before it."


def encode_cursor(tag: str, row_id: int, values: Sequence) -> str:
    """The cursor of the row `row_id` whose sort columns hold `values` (as the driver gives
    them: ISO text on SQLite, datetimes on PostgreSQL, ints)."""
    texts = "|".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)
    return base64.b64encode(f"{tag}|{row_id}|{texts}".encode()).decode()


def decode_cursor(cursor: str, argument: str, ordering: Ordering) -> tuple[tuple, int]:
    """(sort values, id) of a cursor of this ordering; Invalid for anything else."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError
        tag, row_id, *texts = base64.b64decode(cursor, validate=True).decode().split("|")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(argument, "Invalid cursor.") from None
    if tag != ordering.tag:
        raise Invalid(argument, "This cursor belongs to another list or ordering.")
    number = parse_id(row_id)
    values = tuple(
        _sort_value(name, text) for (name, _), text in zip(ordering.sorts, texts, strict=False)
    )
    if number is None or len(texts) != len(ordering.sorts) or None in values:
        raise Invalid(argument, "Invalid cursor.")
    return values, number


def _sort_value(sort: str, text: str) -> Any:
    try:
        if sort in DATETIME_COLUMNS:
            when = datetime.fromisoformat(text)
            return None if when.tzinfo is None else when.astimezone(UTC)
        if sort == "id":
            return parse_id(text)
        number = int(text)
        return number if -(2**31) <= number < 2**31 else None
    except (ValueError, OverflowError):
        return None


def keyset_for(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    ordering: Ordering,
    name: str,
) -> Keyset:
    """The keyset page the Relay arguments of connection `name` select."""
    if first is None and last is None:
        raise Invalid(
            "first",
            f"Pass `first` or `last` (at most {MAX_PAGE_SIZE}) to page the `{name}` connection.",
        )
    if first is not None and last is not None:
        raise Invalid("first", "Pass either first or last, not both.")
    argument, size = ("first", first) if first is not None else ("last", last)
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise Invalid(argument, f"{argument} must be between 0 and {MAX_PAGE_SIZE}.")
    return Keyset(
        limit=size,
        after=decode_cursor(after, "after", ordering) if after else None,
        before=decode_cursor(before, "before", ordering) if before else None,
        backward=last is not None,
    )


def page_flags(keys: Keyset, more: bool) -> tuple[bool, bool]:
    """(hasNextPage, hasPreviousPage): exact in the direction of paging; in the other, true
    when the page is bounded by a cursor on that side (as GitHub answers)."""
    if keys.backward:
        return keys.before is not None, more
    return more, keys.after is not None


@strawberry.type(description="An item of a list, with its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items with their cursors.")
    nodes: list[T] = strawberry.field(description="The page's items (edges without cursors).")
    page_info: relay.PageInfo = strawberry.field(description="Where the page is in the list.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list holds (every page).")
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def of(
        cls,
        items: Sequence,
        cursors: Sequence[str],
        keys: Keyset,
        more: bool,
        count: Callable[[], Awaitable[int]],
    ) -> Connection:
        has_next, has_previous = page_flags(keys, more)
        return cls(
            edges=[Edge(node=item, cursor=c) for item, c in zip(items, cursors, strict=True)],
            nodes=list(items),
            count=count,
            page_info=relay.PageInfo(
                has_next_page=has_next,
                has_previous_page=has_previous,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
        )


def connection_of(page: Slice, keys: Keyset, ordering: Ordering) -> Connection:
    """The connection of a keyset page of instances (its total known)."""
    tag = ordering.tag
    cursors = [
        encode_cursor(tag, item.id, values)
        for item, values in zip(page.items, page.sort_values, strict=True)
    ]

    async def count() -> int:
        return page.total

    return Connection.of(page.items, cursors, keys, page.more, count)
