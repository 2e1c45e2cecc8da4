"""Ticket and comment queries and mutations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import comments, limits, slices, tickets
from resolvers.errors import Invalid
from resolvers.files import NewFile
from resolvers.tickets import TicketFilter, TicketOrder
from rest.kit.http import new_file
from schema.connections import (
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    Connection,
    Ordering,
    encode_cursor,
    keyset_for,
)
from schema.context import actor
from schema.filters import TicketFilterInput, ticket_filter
from schema.ids import ID_ARGUMENT, parse_id
from schema.payloads import INPUT, UserError, mutation, user_errors_field
from schema.types import Comment, Ticket, TicketStatus


@strawberry.enum(description="A column tickets can be ordered by.")
class TicketOrderField(Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When they were opened.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When they last changed.")
    PRIORITY = strawberry.enum_value("priority", description="Their priority (1 highest).")
    ID = strawberry.enum_value("id", description="Their number.")


@strawberry.enum(description="Which way to order.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest or oldest first.")
    DESC = strawberry.enum_value("desc", description="Largest or newest first.")


@strawberry.input(description="How to order tickets (ties broken by id in the same direction).")
class TicketOrderInput:
    field: TicketOrderField = strawberry.field(
        default=TicketOrderField.CREATED_AT, description="The column to order by."
    )
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="Ascending or descending."
    )


MAX_SORTS = 3


def ticket_query(
    filter: TicketFilterInput | None,
    order_by: TicketOrderInput | None,
    sort: list[TicketOrderInput] | None = None,
) -> tuple[TicketFilter, TicketOrder]:
    """The domain's filter and order for the `tickets` arguments (both executors use it)."""
    if sort is not None and order_by is not None:
        raise Invalid("sort", "Pass either orderBy or sort, not both.")
    orders = [order_by] if order_by is not None else list(sort or ())
    if len(orders) > MAX_SORTS:
        raise Invalid("sort", f"Order by at most {MAX_SORTS} fields.")
    if not orders:
        return ticket_filter(filter), TicketOrder()
    first, *then = [(o.field.value, o.direction == OrderDirection.DESC) for o in orders]
    order = TicketOrder(first[0], first[1], tuple(then))
    order.sorts()  # checked before anything runs
    return ticket_filter(filter), order


def ticket_ordering(order: TicketOrder) -> Ordering:
    """What the cursors of a tickets page are tied to (both executors use it)."""
    return Ordering("Ticket", order.sorts())


async def resolve_tickets(
    info: Info,
    filter: Annotated[
        TicketFilterInput | None, strawberry.argument(description="Which tickets.")
    ] = None,
    order_by: Annotated[
        TicketOrderInput | None,
        strawberry.argument(description="Their order (default: newest first)."),
    ] = None,
    sort: Annotated[
        list[TicketOrderInput] | None,
        strawberry.argument(
            description=f"An order on up to {MAX_SORTS} fields: each breaks the ties of the"
            " ones before it (then id, in the last one's direction); instead of orderBy."
        ),
    ] = None,
    first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
) -> Connection[Ticket]:
    caller = actor(info)
    filt, order = ticket_query(filter, order_by, sort)
    ordering = ticket_ordering(order)
    keys = keyset_for(first, after, last, before, ordering, "tickets")
    items, values, more = await slices.tickets(caller, filt, order, keys)
    cursors = [encode_cursor(ordering.tag, t.id, v) for t, v in zip(items, values, strict=True)]
    return Connection.of(items, cursors, keys, more, lambda: slices.count_tickets(caller, filt))


async def resolve_ticket(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARGUMENT)]
) -> Ticket | None:
    return await tickets.get_ticket(actor(info), parse_id(id, "Ticket", "id"))


@strawberry.type
class TicketQueries:
    tickets: Connection[Ticket] = strawberry.field(
        resolver=resolve_tickets,
        description="Tickets the caller may see, filtered and ordered, a keyset page at a time.",
    )
    ticket: Ticket | None = strawberry.field(
        resolver=resolve_ticket, description="A ticket by global id or number."
    )


@strawberry.input(description="A new ticket.")
class CreateTicketInput:
    title: str = strawberry.field(description="One-line summary.")
    description: str = strawberry.field(default="", description="The request in full.")
    priority: int | None = strawberry.field(
        default=None, description="1 (highest) to 5 (lowest); staff only."
    )
    queue: strawberry.ID | None = strawberry.field(default=None, description="Its queue.")
    tags: list[str] | None = strawberry.field(default=None, description="Tags (at most 20).")
    custom_fields: JSON | None = strawberry.field(
        default=None, description="Custom values (staff-only fields for staff)."
    )
    client_emails: list[str] | None = strawberry.field(
        default=None, description="Other customers who may see it (at most 20)."
    )
    client_aliased_name: str | None = strawberry.field(
        default=None, description="The name the customer goes by."
    )
    submitter_email: str | None = strawberry.field(
        default=None, description="Submitted from this address (staff only; default: yours)."
    )
    assigned_to: strawberry.ID | None = strawberry.field(
        default=None, description="Assign it at once (staff only)."
    )
    due_date: datetime | None = strawberry.field(
        default=None, description="When it is due (staff only)."
    )
    attachments: list[Upload] | None = strawberry.field(
        default=None,
        description=f"Files (GraphQL multipart request), at most {limits.FILES_PER_ITEM} of at"
        f" most {limits.FILE_BYTES // (1024 * 1024)} MiB each.",
    )


@strawberry.input(description="Changes to a ticket: only the fields given change; null clears one.")
class UpdateTicketInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="One-line summary.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="The request in full."
    )
    priority: int | None = strawberry.field(
        default=strawberry.UNSET, description="1 (highest) to 5 (lowest); staff only."
    )
    queue: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Its queue (staff only)."
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Its tags, replacing the old ones."
    )
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Custom values."
    )
    client_emails: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Other customers who may see it, replacing the old ones.",
    )
    client_aliased_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The name the customer goes by."
    )
    due_date: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When it is due (staff only)."
    )
    on_hold: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Put it on hold or take it off (staff only)."
    )
    resolution: str | None = strawberry.field(
        default=strawberry.UNSET, description="How it was resolved (staff only)."
    )
    expected_updated_at: datetime | None = strawberry.field(
        default=None,
        description="Change nothing (CONFLICT) unless the ticket's updatedAt is still this.",
    )


@strawberry.input(description="A status change.")
class SetTicketStatusInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    status: TicketStatus = strawberry.field(description="The new status.")
    resolution: str | None = strawberry.field(
        default=None, description="How it was resolved (staff only)."
    )


@strawberry.input(description="An assignment.")
class AssignTicketInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    assignee: strawberry.ID | None = strawberry.field(
        default=None, description="The staff member; null unassigns."
    )


@strawberry.input(description="A new comment.")
class AddCommentInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket.")
    body: str = strawberry.field(description="Its text.")
    is_internal: bool = strawberry.field(
        default=False, description="An internal note, for staff only."
    )
    new_status: TicketStatus | None = strawberry.field(
        default=None, description="Move the ticket to this status too."
    )
    attachments: list[Upload] | None = strawberry.field(
        default=None,
        description=f"Files (GraphQL multipart request), at most {limits.FILES_PER_ITEM} of at"
        f" most {limits.FILE_BYTES // (1024 * 1024)} MiB each.",
    )


@strawberry.input(description="A ticket to delete.")
class DeleteTicketInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")


@strawberry.type(description="The result of a mutation changing or creating a ticket.")
class TicketPayload:
    ticket: Ticket | None = strawberry.field(
        default=None, description="The ticket as it is now; null when the mutation failed."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of addComment.")
class CommentPayload:
    comment: Comment | None = strawberry.field(
        default=None, description="The new comment; null when the mutation failed."
    )
    ticket: Ticket | None = strawberry.field(
        default=None, description="The commented ticket as it is now (its status may have moved)."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of deleteTicket.")
class DeleteTicketPayload:
    deleted_ticket_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The deleted ticket's global id (evict it from a normalised cache);"
        " null when the mutation failed.",
    )
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The deleted ticket's number.",
        deprecation_reason="Use deletedTicketId, the global id.",
    )
    user_errors: list[UserError] = user_errors_field()


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


async def _files(uploads: list | None) -> list[NewFile]:
    """The uploaded files of a multipart request, read up to the domain's limits."""
    if not uploads:
        return []
    if len(uploads) > limits.FILES_PER_ITEM:
        raise Invalid("attachments", f"At most {limits.FILES_PER_ITEM} files may be attached.")
    if not all(isinstance(u, UploadFile) for u in uploads):
        raise Invalid("attachments", "Send files as a GraphQL multipart request.")
    return [await new_file(u, "upload") for u in uploads]


@strawberry.type
class TicketMutations:
    @mutation("Open a ticket (customers pick at most its queue besides the text fields).")
    async def create_ticket(
        self,
        info: Info,
        input: Annotated[CreateTicketInput, strawberry.argument(description=INPUT)],
    ) -> TicketPayload | None:
        fields = {k: v for k, v in _changes(input, skip=("attachments",)).items() if v is not None}
        uploads = await _files(input.attachments)
        ticket = await tickets.create_ticket(
            actor(info), files=uploads, storage=info.context.storage, **fields
        )
        return TicketPayload(ticket=ticket)

    @mutation("Change the fields passed (null clears a field); the others stay as they are.")
    async def update_ticket(
        self,
        info: Info,
        input: Annotated[UpdateTicketInput, strawberry.argument(description=INPUT)],
    ) -> TicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        changes = _changes(input, skip=("id", "expected_updated_at"))
        expected = input.expected_updated_at
        ticket = await tickets.update_ticket(
            actor(info), ticket_id, expected_updated_at=expected, **changes
        )
        return TicketPayload(ticket=ticket)

    @mutation("Move a ticket to another status (OPEN on a closed ticket reopens it).")
    async def set_ticket_status(
        self,
        info: Info,
        input: Annotated[SetTicketStatusInput, strawberry.argument(description=INPUT)],
    ) -> TicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        ticket = await tickets.set_status(
            actor(info), ticket_id, input.status.value, resolution=input.resolution
        )
        return TicketPayload(ticket=ticket)

    @mutation("Assign a ticket to a staff member, or unassign it (staff only).")
    async def assign_ticket(
        self,
        info: Info,
        input: Annotated[AssignTicketInput, strawberry.argument(description=INPUT)],
    ) -> TicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        user_id = None if input.assignee is None else parse_id(input.assignee, "User", "assignee")
        return TicketPayload(ticket=await tickets.assign(actor(info), ticket_id, user_id))

    @mutation("Comment on a ticket, optionally moving its status in the same change.")
    async def add_comment(
        self, info: Info, input: Annotated[AddCommentInput, strawberry.argument(description=INPUT)]
    ) -> CommentPayload | None:
        ticket_id = parse_id(input.ticket_id, "Ticket", "ticketId")
        caller = actor(info)
        comment = await comments.add_comment(
            caller,
            ticket_id,
            input.body,
            is_internal=input.is_internal,
            new_status=input.new_status.value if input.new_status else None,
            files=await _files(input.attachments),
            storage=info.context.storage,
        )
        return CommentPayload(comment=comment, ticket=await tickets.get_ticket(caller, ticket_id))

    @mutation("Delete a ticket with its comments and files (staff only).")
    async def delete_ticket(
        self,
        info: Info,
        input: Annotated[DeleteTicketInput, strawberry.argument(description=INPUT)],
    ) -> DeleteTicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        await tickets.delete_ticket(actor(info), ticket_id)
        return DeleteTicketPayload(
            deleted_ticket_id=strawberry.ID(str(relay.GlobalID("Ticket", str(ticket_id)))),
            deleted_id=strawberry.ID(str(ticket_id)),
        )
