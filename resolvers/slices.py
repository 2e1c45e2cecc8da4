"""Keyset pages of model instances (GraphQL's standard executor): the lean keyset reads of
`resolvers.projections` pick the rows, as they do for the compiled executor, so both
executors page alike; the ORM then builds the picked rows (one more statement)."""

from __future__ import annotations

from collections.abc import Sequence

from models import Comment, Ticket
from resolvers import projections, reads
from resolvers.pagination import Keyset, Slice
from resolvers.permissions import Actor
from resolvers.tickets import TicketFilter, TicketOrder


async def _instances(model, rows: Sequence, width: int) -> tuple[list, list]:
    """The instances of the rows `(id, …, sort values)` still there, with their sort values
    (the last `width` columns)."""
    found = {m.id: m for m in await model.filter(id__in=[r[0] for r in rows])} if rows else {}
    kept = [r for r in rows if r[0] in found]  # (a row deleted between the two reads)
    return [found[r[0]] for r in kept], [tuple(r[-width:]) for r in kept]


async def tickets(
    actor: Actor | None, filt: TicketFilter, order: TicketOrder, keys: Keyset
) -> tuple[list[Ticket], list, bool]:
    """(tickets, their sort values, more) of a keyset page; the total is `count_tickets`."""
    rows, _, more = await reads.run(
        projections.ticket_keyset_page(actor, filt, order, keys, ["id"], with_total=False)
    )
    items, values = await _instances(Ticket, rows, len(order.sorts()))
    return items, values, more


async def count_tickets(actor: Actor | None, filt: TicketFilter) -> int:
    return await reads.run(projections.ticket_count(actor, filt))


async def comments(
    actor: Actor | None, ticket_ids: list[int], keys: Keyset
) -> dict[int, Slice[Comment]]:
    """One keyset page of comments for each of many tickets the caller already sees (oldest
    first; internal ones only for staff), in three statements whatever their number."""
    pages = await reads.run(projections.comment_keyset_pages(actor, ticket_ids, keys, ["id"]))
    rows = [row for found, _, _ in pages.values() for row in found]
    items, _ = await _instances(Comment, rows, 1)
    by_id = {c.id: c for c in items}
    return {
        tid: Slice(
            [by_id[r[0]] for r in found if r[0] in by_id],
            [(r[-1],) for r in found if r[0] in by_id],
            total,
            more,
        )
        for tid, (found, total, more) in pages.items()
    }
