"""Bounded pages for every list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.functions import Count
from tortoise.queryset import QuerySet

from resolvers import sql
from resolvers.errors import Invalid

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Window:
    offset: int = 0
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class Keyset:
    """A page by position in an order, not by offset: the `limit` rows after the row whose
    `(sort values, id)` is `after`, and before `before`; `backward` takes the last `limit` of
    them instead of the first. Rows created or deleted meanwhile never shift it."""

    limit: int = DEFAULT_PAGE_SIZE
    after: tuple | None = None
    before: tuple | None = None
    backward: bool = False


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


@dataclass(frozen=True)
class Slice(Generic[T]):
    """A keyset page: its items in order, each item's sort values (a tuple, for cursors), the
    whole list's total, and whether more items lie beyond the page in its direction."""

    items: list[T]
    sort_values: list
    total: int
    more: bool


def trimmed(rows: list, keys: Keyset) -> tuple[list, bool]:
    """A keyset page read with LIMIT limit + 1 in its reading order (reversed for `backward`):
    the page in the list's order, and whether more rows lie beyond it."""
    more = len(rows) > keys.limit
    rows = list(rows[: keys.limit])
    if keys.backward:
        rows.reverse()
    return rows, more


async def paginate_by_id(queryset, keys: Keyset) -> Slice:
    """A keyset page of `queryset` ordered by id: one COUNT and one SELECT."""
    total = await queryset.count()
    if keys.after is not None:
        queryset = queryset.filter(id__gt=keys.after[1])
    if keys.before is not None:
        queryset = queryset.filter(id__lt=keys.before[1])
    rows = await queryset.order_by("-id" if keys.backward else "id").limit(keys.limit + 1)
    items, more = trimmed(rows, keys)
    return Slice(items, [(item.id,) for item in items], total, more)


async def pages_per_ticket(
    found: QuerySet, condition: str, ticket_ids: list[int], keys: Keyset
) -> dict[int, Slice]:
    """The same keyset page of `found` rows, ordered by id, for each of many tickets
    (ROW_NUMBER over ticket_id), with each ticket's total: three statements whatever their
    number. `condition` is the SQL form of `found`'s own filter ("" for none)."""
    if not ticket_ids:
        return {}
    counted = found.filter(ticket_id__in=ticket_ids).group_by("ticket_id").annotate(n=Count("id"))
    totals = dict(await counted.values_list("ticket_id", "n"))
    bounds = [(op, b[1]) for b, op in ((keys.after, ">"), (keys.before, "<")) if b is not None]
    marks = sql.params(len(ticket_ids) + len(bounds) + 1)
    where = [f"ticket_id IN ({', '.join(marks[: len(ticket_ids)])})"]
    where += [condition] if condition else []
    where += [f"id {op} {marks[len(ticket_ids) + n]}" for n, (op, _) in enumerate(bounds)]
    values = [value for _, value in bounds]
    direction = "DESC" if keys.backward else "ASC"
    query = (
        f"SELECT id, ticket_id FROM (SELECT id, ticket_id, ROW_NUMBER() OVER (PARTITION BY"
        f" ticket_id ORDER BY id {direction}) AS rn FROM {found.model._meta.db_table}"
        f" WHERE {' AND '.join(where)}) ranked WHERE rn <= {marks[-1]} ORDER BY rn"
    )
    rows = await sql.fetch(query, [*ticket_ids, *values, keys.limit + 1])
    picked: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        picked[row["ticket_id"]].append(row["id"])
    pages = {tid: trimmed(picked.get(tid, []), keys) for tid in ticket_ids}
    ids = [i for page, _ in pages.values() for i in page]
    by_id = {item.id: item for item in await found.model.filter(id__in=ids)} if ids else {}
    return {
        tid: Slice([by_id[i] for i in page], [(i,) for i in page], totals.get(tid, 0), more)
        for tid, (page, more) in pages.items()
    }
