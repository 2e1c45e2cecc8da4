"""Ticket and comment queries and mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import comments, tickets
from resolvers.tickets import TicketFilter, TicketOrder
from schema.connections import Connection, window_for
from schema.context import actor
from schema.ids import parse_id
from schema.types import Comment, Ticket, TicketStatus


@strawberry.enum
class TicketOrderField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    PRIORITY = "priority"
    ID = "id"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class TicketOrderInput:
    field: TicketOrderField = TicketOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class TicketFilterInput:
    status: list[TicketStatus] | None = None
    priority: list[int] | None = None
    queue: strawberry.ID | None = None
    assigned_to: strawberry.ID | None = None
    opened_by: strawberry.ID | None = None
    tag: str | None = None
    search: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None


def _filter(given: TicketFilterInput | None) -> TicketFilter:
    if given is None:
        return TicketFilter()

    def opt_id(value, type_name: str, argument: str) -> int | None:
        return None if value is None else parse_id(value, type_name, argument)

    return TicketFilter(
        statuses=tuple(given.status or ()),
        priorities=tuple(given.priority or ()),
        queue_id=opt_id(given.queue, "Queue", "filter.queue"),
        assigned_to_id=opt_id(given.assigned_to, "User", "filter.assignedTo"),
        opened_by_id=opt_id(given.opened_by, "User", "filter.openedBy"),
        tag=given.tag,
        search=given.search,
        created_after=given.created_after,
        created_before=given.created_before,
        updated_after=given.updated_after,
    )


def ticket_query(
    filter: TicketFilterInput | None, order_by: TicketOrderInput | None
) -> tuple[TicketFilter, TicketOrder]:
    """The domain's filter and order for the `tickets` arguments (both executors use it)."""
    if order_by is None:
        return _filter(filter), TicketOrder()
    descending = order_by.direction == OrderDirection.DESC
    return _filter(filter), TicketOrder(order_by.field.value, descending)


async def resolve_tickets(
    info: Info,
    filter: TicketFilterInput | None = None,
    order_by: TicketOrderInput | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[Ticket]:
    caller = actor(info)
    filt, order = ticket_query(filter, order_by)
    count = tickets.filter_tickets(caller, filt).count
    win = await window_for(first, after, last, before, count)
    return Connection.from_page(await tickets.list_tickets(caller, filt, win, order))


async def resolve_ticket(info: Info, id: strawberry.ID) -> Ticket | None:
    return await tickets.get_ticket(actor(info), parse_id(id, "Ticket", "id"))


@strawberry.type
class TicketQueries:
    tickets: Connection[Ticket] = strawberry.field(resolver=resolve_tickets)
    ticket: Ticket | None = strawberry.field(
        resolver=resolve_ticket, description="A ticket by global id or number."
    )


@strawberry.input
class CreateTicketInput:
    title: str
    description: str = ""
    priority: int | None = None
    queue: strawberry.ID | None = None
    tags: list[str] | None = None
    custom_fields: JSON | None = None
    client_emails: list[str] | None = None
    client_aliased_name: str | None = None
    submitter_email: str | None = None
    assigned_to: strawberry.ID | None = None
    due_date: datetime | None = None


@strawberry.input
class UpdateTicketInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    priority: int | None = strawberry.UNSET
    queue: strawberry.ID | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET
    client_emails: list[str] | None = strawberry.UNSET
    client_aliased_name: str | None = strawberry.UNSET
    due_date: datetime | None = strawberry.UNSET
    on_hold: bool | None = strawberry.UNSET
    resolution: str | None = strawberry.UNSET
    expected_updated_at: datetime | None = strawberry.field(
        default=None,
        description="Change nothing (CONFLICT) unless the ticket's updatedAt is still this.",
    )


@strawberry.input
class SetTicketStatusInput:
    id: strawberry.ID
    status: TicketStatus
    resolution: str | None = None


@strawberry.input
class AssignTicketInput:
    id: strawberry.ID
    assignee: strawberry.ID | None = None


@strawberry.input
class AddCommentInput:
    ticket_id: strawberry.ID
    body: str
    is_internal: bool = False
    new_status: TicketStatus | None = None


@strawberry.input
class DeleteTicketInput:
    id: strawberry.ID


@strawberry.type
class TicketPayload:
    ticket: Ticket


@strawberry.type
class CommentPayload:
    comment: Comment
    ticket: Ticket


@strawberry.type
class DeleteTicketPayload:
    deleted_id: strawberry.ID


# GraphQL argument name → (domain field name, converter)
_FIELD_MAP = {
    "queue": ("queue_id", lambda v: None if v is None else parse_id(v, "Queue", "queue")),
    "assigned_to": (
        "assigned_to_id",
        lambda v: None if v is None else parse_id(v, "User", "assignedTo"),
    ),
}


def _changes(given: object, skip: tuple[str, ...] = ()) -> dict:
    """The fields the caller set (UNSET ones are left out; explicit nulls are kept)."""
    changes = {}
    for name, value in vars(given).items():
        if name in skip or value is strawberry.UNSET:
            continue
        target, convert = _FIELD_MAP.get(name, (name, lambda v: v))
        changes[target] = convert(value)
    return changes


@strawberry.type
class TicketMutations:
    @strawberry.mutation
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:
        fields = {k: v for k, v in _changes(input).items() if v is not None}
        return TicketPayload(ticket=await tickets.create_ticket(actor(info), **fields))

    @strawberry.mutation
    async def update_ticket(self, info: Info, input: UpdateTicketInput) -> TicketPayload:
        ticket_id = parse_id(input.id, "Ticket", "id")
        changes = _changes(input, skip=("id", "expected_updated_at"))
        expected = input.expected_updated_at
        ticket = await tickets.update_ticket(
            actor(info), ticket_id, expected_updated_at=expected, **changes
        )
        return TicketPayload(ticket=ticket)

    @strawberry.mutation
    async def set_ticket_status(self, info: Info, input: SetTicketStatusInput) -> TicketPayload:
        ticket_id = parse_id(input.id, "Ticket", "id")
        ticket = await tickets.set_status(
            actor(info), ticket_id, input.status.value, resolution=input.resolution
        )
        return TicketPayload(ticket=ticket)

    @strawberry.mutation
    async def assign_ticket(self, info: Info, input: AssignTicketInput) -> TicketPayload:
        ticket_id = parse_id(input.id, "Ticket", "id")
        user_id = None if input.assignee is None else parse_id(input.assignee, "User", "assignee")
        return TicketPayload(ticket=await tickets.assign(actor(info), ticket_id, user_id))

    @strawberry.mutation
    async def add_comment(self, info: Info, input: AddCommentInput) -> CommentPayload:
        ticket_id = parse_id(input.ticket_id, "Ticket", "ticketId")
        caller = actor(info)
        comment = await comments.add_comment(
            caller,
            ticket_id,
            input.body,
            is_internal=input.is_internal,
            new_status=input.new_status.value if input.new_status else None,
        )
        return CommentPayload(comment=comment, ticket=await tickets.get_ticket(caller, ticket_id))

    @strawberry.mutation
    async def delete_ticket(self, info: Info, input: DeleteTicketInput) -> DeleteTicketPayload:
        ticket_id = parse_id(input.id, "Ticket", "id")
        await tickets.delete_ticket(actor(info), ticket_id)
        return DeleteTicketPayload(deleted_id=strawberry.ID(str(ticket_id)))
