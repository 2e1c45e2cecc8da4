"""A bounded, streamed read of many tickets with their people and tags (nephthys `/api/tickets`).

Who sees what: a signed-in caller sees the tickets every door shows them (`visible_tickets`:
staff all or their queues', customers those they opened, submitted or are named on). An
anonymous reader, admitted only by a public door, sees the tickets of public queues
(`Queue.is_public`) and never people's usernames (`public_tickets`).

Rows are read in keyset chunks ordered by (created_at, id): the ORM builds the statement (so the
visibility rule is the usual one), the rows come back as plain tuples of the shown columns with
the people joined, tags follow in one query per chunk. No model instances, no per-field ORM
conversions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models import Queue, Status, Ticket
from resolvers import sql
from resolvers.errors import NotFound
from resolvers.permissions import SYSTEM, Actor, require_user
from resolvers.tickets import TicketFilter, filter_tickets

MAX_TICKETS = 10_000
CHUNK = 1_000
PEOPLE = ("opened_by", "closed_by", "assigned_to", "reopened_by")
_COLUMNS = ("id", "title", "description", "status", "created_at", "closed_at", "message_ts")
_PERSON = ("id", "slack_id", "username")
_SELECT = (*_COLUMNS, *(f"{who}__{col}" for who in PEOPLE for col in _PERSON))


@dataclass(frozen=True)
class FeedFilter:
    statuses: tuple[Status, ...] = ()
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # inclusive
    ticket_id: int | None = None


def public_tickets(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Of `tickets`, those an anonymous reader may see: the tickets of public queues."""
    return tickets.filter(queue_id__in=Subquery(Queue.filter(is_public=True).values("id")))


def _anonymous(actor: Actor | None, public: bool) -> bool:
    """Whether the reader is anonymous; refused (Unauthenticated) unless the door is public."""
    if actor is None and public:
        return True
    require_user(actor)
    return False


def _utc(value: datetime | None) -> datetime | None:
    """SQLite compares the stored UTC text: bounds in other offsets must be converted first."""
    return None if value is None else sql.timestamp(value)


def _tickets(actor: Actor | None, anonymous: bool, filt: FeedFilter) -> QuerySet[Ticket]:
    tickets = filter_tickets(
        SYSTEM if anonymous else actor,
        TicketFilter(
            statuses=filt.statuses,
            created_after=_utc(filt.created_after),
            created_before=_utc(filt.created_before),
        ),
    )
    if anonymous:
        tickets = public_tickets(tickets)
    if filt.ticket_id is not None:
        tickets = tickets.filter(id=filt.ticket_id)
    return tickets


async def exceeds_limit(actor: Actor | None, filt: FeedFilter, *, public: bool, limit: int) -> bool:
    """Whether more than `limit` tickets match: one bounded probe, unordered so that the
    database may walk any index (a count would read every match)."""
    tickets = _tickets(actor, _anonymous(actor, public), filt)
    return bool(await _tuples(tickets.offset(limit).limit(1).values_list("id")))


def ticket_rows(
    actor: Actor | None, filt: FeedFilter, *, public: bool, limit: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """Up to `limit` matching tickets, oldest first, in chunks of plain dicts: the ticket
    columns (datetimes as aware datetimes), `tags` (names) and each person as a dict or None.
    Checks the caller at once."""
    anonymous = _anonymous(actor, public)
    return _chunks(_tickets(actor, anonymous, filt), limit, anonymous)


async def _chunks(
    tickets: QuerySet[Ticket], limit: int, anonymous: bool
) -> AsyncIterator[list[dict[str, Any]]]:
    after: tuple[Any, int] | None = None
    left = limit
    tickets = tickets.order_by("created_at", "id")
    while left > 0:
        page = tickets
        if after is not None:  # `>=` first: the index range starts at the last row, not before
            page = page.filter(
                Q(created_at__gte=after[0]),
                Q(created_at__gt=after[0]) | Q(id__gt=after[1]),
            )
        rows = await _tuples(page.limit(min(CHUNK, left)).values_list(*_SELECT))
        if not rows:
            return
        tags = await _tags([row[0] for row in rows])
        yield [_shape(row, tags.get(row[0], []), anonymous) for row in rows]
        left -= len(rows)
        after = (sql.to_datetime(rows[-1][4]), rows[-1][0])
        if len(rows) < CHUNK:
            return


async def _tuples(query) -> list[tuple]:
    """Run an ORM-built statement and keep its rows raw (no per-field conversion)."""
    statement = query.sql()
    _, values = query.query.get_parameterized_sql()
    _, rows = await connections.get("default").execute_query(statement, values)
    return rows


async def _tags(ticket_ids: list[int]) -> dict[int, list[str]]:
    """Tag names per ticket, as `tickets.tags_for`, in raw SQL: building a thousand-value IN
    through the ORM costs more than the query."""
    found: dict[int, list[str]] = {}
    marks = ", ".join(sql.params(len(ticket_ids)))
    rows = await connections.get("default").execute_query(
        f"SELECT ticket_id, name FROM ticket_tags WHERE ticket_id IN ({marks}) ORDER BY id",
        ticket_ids,
    )
    for ticket_id, name in rows[1]:
        found.setdefault(ticket_id, []).append(name)
    return found


async def one_ticket(actor: Actor | None, ticket_id: int, *, public: bool) -> dict[str, Any]:
    """One ticket in the feed's shape; NotFound when it does not exist or is not visible."""
    chunks = ticket_rows(actor, FeedFilter(ticket_id=ticket_id), public=public, limit=1)
    rows = [row async for chunk in chunks for row in chunk]
    if not rows:
        raise NotFound(f"Ticket {ticket_id} not found.")
    return rows[0]


_PEOPLE_AT = {who: len(_COLUMNS) + 3 * n for n, who in enumerate(PEOPLE)}


def _shape(row: tuple, tags: list[str], anonymous: bool) -> dict[str, Any]:
    shaped = dict(zip(_COLUMNS, row, strict=False))
    for key in ("created_at", "closed_at"):
        if shaped[key] is not None:
            shaped[key] = sql.to_datetime(shaped[key])
    for who, at in _PEOPLE_AT.items():
        person_id, slack_id, username = row[at : at + 3]
        if person_id is None:
            shaped[who] = None
        elif anonymous:  # a login name is half a credential: never shown to the public
            shaped[who] = {"id": person_id, "slack_id": slack_id}
        else:
            shaped[who] = {"id": person_id, "slack_id": slack_id, "username": username}
    shaped["tags"] = tags
    return shaped
