"""Subscriptions (graphql-transport-ws on /graphql): ticket events as they are committed.

Fed by `resolvers.live.EventHub` (the events table every door writes); the caller is
authenticated in `connection_init` (schema/http.py) and again before every batch.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import auth, live, tickets
from resolvers.errors import DomainError, Invalid, NotFound
from resolvers.events import TICKET_DELETED
from resolvers.permissions import Actor
from schema.context import Context, actor, loaders
from schema.cost import QueryTooCostly, operation_cost
from schema.ids import parse_id
from schema.types import Ticket, User


@strawberry.type(description="A change to a ticket, as recorded in its history.")
class TicketEvent:
    created_at: datetime = strawberry.field(description="When the change was committed.")

    @strawberry.field(description="Resubscribe with `after: eventId` to miss nothing.")
    def event_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.id))

    @strawberry.field(
        description="The kind of change: ticket.created, ticket.updated, ticket.status_changed,"
        " ticket.assigned, ticket.deleted, comment.created, comment.updated, comment.deleted, …"
    )
    def type(self) -> str:
        return self.kind

    @strawberry.field(description="The ticket's number (also after it was deleted).")
    def ticket_number(self) -> int:
        return self.ticket_id

    @strawberry.field(description="The ticket now; null once deleted.")
    async def ticket(self, info: Info) -> Ticket | None:
        try:
            return await tickets.get_ticket(actor(info), self.ticket_id)
        except NotFound:
            return None

    @strawberry.field(description="Who made the change; null for the system or a deleted user.")
    async def actor(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.actor_id) if self.actor_id else None

    @strawberry.field(description="What changed (e.g. `changes`, `previous`/`current`).")
    def payload(self, info: Info) -> JSON:
        return live.payload_for(actor(info), self)


@strawberry.input(description="Which events: all given conditions hold; empty means all.")
class TicketEventFilter:
    ticket_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this ticket's events (global id or number)."
    )
    queue: strawberry.ID | None = strawberry.field(
        default=None, description="Only events of tickets now in this queue."
    )
    types: list[str] | None = strawberry.field(
        default=None, description="Only these kinds (`TicketEvent.type` values)."
    )


AFTER = "An eventId already received: what followed it comes first, then live events."
After = Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)]


def _opt_id(value: strawberry.ID | None, type_name: str, argument: str) -> int | None:
    return None if value is None else parse_id(value, type_name, argument)


def _filter(given: TicketEventFilter | None) -> live.EventFilter:
    if given is None:
        return live.EventFilter()
    return live.EventFilter(
        ticket_id=_opt_id(given.ticket_id, "Ticket", "filter.ticketId"),
        queue_id=_opt_id(given.queue, "Queue", "filter.queue"),
        kinds=frozenset(given.types or ()),
    )


class TooCostly(DomainError):
    code = "QUERY_TOO_COSTLY"


def _events(
    info: Info, wanted: live.EventFilter, after: strawberry.ID | None, shown: set[int] | None = None
):
    """The hub's batches for this connection's caller, authenticated again before each. The
    document's cost (what one event may return) is held to `GRAPHQL_MAX_COST` as over HTTP."""
    context: Context = info.context
    raw = info._raw_info
    cost = operation_cost(raw.schema, raw.operation, raw.fragments, raw.variable_values)
    if cost > context.settings.graphql_max_cost:
        raise TooCostly(str(QueryTooCostly(cost, context.settings.graphql_max_cost)))
    cursor = None if after is None else _event_id(after)

    async def who() -> Actor | None:
        request = context.request
        context.user = await auth.authenticate(
            context.credentials,
            context.settings.secret_key,
            limiter=request.app.state.rate_limiter,
            client=request.client.host if request.client else "",
        )
        context.fresh_loaders()  # a long stream must not answer from old loader caches
        return context.user

    return request_hub(info).follow(who, wanted, cursor, shown)


def _event_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise Invalid("after", f"{value!r} is not an eventId.")
    return int(value)


def request_hub(info: Info) -> live.EventHub:
    return info.context.request.app.state.event_hub


@strawberry.type(description="Live updates over a WebSocket (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(
        description="Ticket events the caller may see, as they are committed through any door."
    )
    async def ticket_events(
        self,
        info: Info,
        filter: Annotated[
            TicketEventFilter | None, strawberry.argument(description="Which events.")
        ] = None,
        after: After = None,
    ) -> AsyncGenerator[TicketEvent, None]:
        async for batch in _events(info, _filter(filter), after):
            for event in batch:
                yield event

    @strawberry.subscription(
        description="The ticket each time it changes (comments included); null once deleted,"
        " which ends the stream."
    )
    async def ticket_updated(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The ticket.")],
        after: After = None,
    ) -> AsyncGenerator[Ticket | None, None]:
        number = parse_id(id, "Ticket", "id")
        await tickets.get_ticket(actor(info), number)  # NotFound for an invisible ticket
        async for batch in _events(info, live.EventFilter(ticket_id=number), after, {number}):
            if any(e.kind == TICKET_DELETED for e in batch):
                yield None
                return
            try:
                yield await tickets.get_ticket(actor(info), number)
            except NotFound:  # no longer visible
                yield None
                return
