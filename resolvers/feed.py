"""A bounded, streamed read of many tickets with their people and tags (nephthys `/api/tickets`).

Rows are read in keyset chunks ordered by (created_at, id), selecting only the columns the
feed shows, so a large answer never sits in memory as model objects. Visibility is the usual
rule (`filter_tickets`); a public door reads as the system (every ticket).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from models import Status
from resolvers import sql
from resolvers.errors import NotFound
from resolvers.permissions import SYSTEM, Actor, require_user
from resolvers.tickets import TicketFilter, filter_tickets, tags_for

MAX_TICKETS = 10_000
CHUNK = 1_000
PEOPLE = ("opened_by", "closed_by", "assigned_to", "reopened_by")
_COLUMNS = ("id", "title", "description", "status", "created_at", "closed_at", "message_ts")
_PEOPLE_COLUMNS = {
    f"{who}_{col}": f"{who}__{col}" for who in PEOPLE for col in ("id", "slack_id", "username")
}


@dataclass(frozen=True)
class FeedFilter:
    statuses: tuple[Status, ...] = ()
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # inclusive
    ticket_id: int | None = None


def _utc(value: datetime | None) -> datetime | None:
    """SQLite compares the stored UTC text: bounds in other offsets must be converted first."""
    return None if value is None else sql.timestamp(value)


def _tickets(actor: Actor | None, public: bool, filt: FeedFilter):
    reader = SYSTEM if public else require_user(actor)
    tickets = filter_tickets(
        reader,
        TicketFilter(
            statuses=filt.statuses,
            created_after=_utc(filt.created_after),
            created_before=_utc(filt.created_before),
        ),
    )
    if filt.ticket_id is not None:
        tickets = tickets.filter(id=filt.ticket_id)
    return tickets.order_by("created_at", "id")


async def exceeds_limit(actor: Actor | None, filt: FeedFilter, *, public: bool, limit: int) -> bool:
    """Whether more than `limit` tickets match (one bounded probe, not a count)."""
    return bool(await _tickets(actor, public, filt).offset(limit).limit(1).values_list("id"))


def ticket_rows(
    actor: Actor | None, filt: FeedFilter, *, public: bool, limit: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """Up to `limit` matching tickets, oldest first, in chunks of plain dicts: the ticket
    columns, `tags` (names) and each person as a dict or None. Checks the caller at once."""
    return _chunks(_tickets(actor, public, filt), limit)


async def _chunks(tickets, limit: int) -> AsyncIterator[list[dict[str, Any]]]:
    after: tuple[datetime, int] | None = None
    left = limit
    while left > 0:
        page = tickets
        if after is not None:
            page = page.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
        rows = await page.limit(min(CHUNK, left)).values(*_COLUMNS, **_PEOPLE_COLUMNS)
        if not rows:
            return
        tags = await tags_for([row["id"] for row in rows])
        yield [_shape(row, tags.get(row["id"], [])) for row in rows]
        left -= len(rows)
        after = (rows[-1]["created_at"], rows[-1]["id"])
        if len(rows) < CHUNK:
            return


async def one_ticket(actor: Actor | None, ticket_id: int, *, public: bool) -> dict[str, Any]:
    """One ticket in the feed's shape; NotFound when it does not exist or is not visible."""
    chunks = ticket_rows(actor, FeedFilter(ticket_id=ticket_id), public=public, limit=1)
    rows = [row async for chunk in chunks for row in chunk]
    if not rows:
        raise NotFound(f"Ticket {ticket_id} not found.")
    return rows[0]


def _shape(row: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    shaped = {name: row[name] for name in _COLUMNS}
    for who in PEOPLE:
        person = {col: row[f"{who}_{col}"] for col in ("id", "slack_id", "username")}
        shaped[who] = person if person["id"] is not None else None
    shaped["tags"] = tags
    return shaped
