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


async def pages_per_ticket(
    found: QuerySet, order: tuple[str, ...], condition: str, ticket_ids: list[int], win: Window
) -> dict[int, Page]:
    """The same window of `found` rows for each of many tickets (ROW_NUMBER over ticket_id),
    with each ticket's total: three statements whatever their number. `condition` is the
    SQL form of `found`'s own filter ("" for none)."""
    if not ticket_ids:
        return {}
    counted = found.filter(ticket_id__in=ticket_ids).group_by("ticket_id").annotate(n=Count("id"))
    totals = dict(await counted.values_list("ticket_id", "n"))
    marks = sql.params(len(ticket_ids) + 2)
    where = f"ticket_id IN ({', '.join(marks[:-2])})" + (f" AND {condition}" if condition else "")
    query = (
        f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY ticket_id ORDER BY"
        f" {', '.join(order)}) AS rn FROM {found.model._meta.db_table} WHERE {where}) ranked"
        f" WHERE rn > {marks[-2]} AND rn <= {marks[-1]}"
    )
    rows = await sql.fetch(query, [*ticket_ids, win.offset, win.offset + win.limit])
    ids = [row["id"] for row in rows]
    grouped: dict[int, list] = defaultdict(list)
    for item in await found.model.filter(id__in=ids).order_by(*order) if ids else []:
        grouped[item.ticket_id].append(item)
    return {
        tid: Page(grouped.get(tid, []), totals.get(tid, 0), win.offset, win.limit)
        for tid in ticket_ids
    }
