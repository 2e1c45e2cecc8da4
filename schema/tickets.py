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

from resolvers import comments, slices, tickets
from resolvers.errors import Invalid
from resolvers.files import MAX_FILE_BYTES, MAX_FILES_PER_ITEM, NewFile
from resolvers.tickets import TicketFilter, TicketOrder
from rest.common import new_file
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
from schema.ids import parse_id
from schema.payloads import UserError, mutation, user_errors_field
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


def ticket_query(
    filter: TicketFilterInput | None, order_by: TicketOrderInput | None
) -> tuple[TicketFilter, TicketOrder]:
    """The domain's filter and order for the `tickets` arguments (both executors use it)."""
    if order_by is None:
        return ticket_filter(filter), TicketOrder()
    descending = order_by.direction == OrderDirection.DESC
    return ticket_filter(filter), TicketOrder(order_by.field.value, descending)


def ticket_ordering(order: TicketOrder) -> Ordering:
    """What the cursors of a tickets page are tied to (both executors use it)."""
    return Ordering("Ticket", order.clauses()[0].lstrip("-"), order.descending)


async def resolve_tickets(
    info: Info,
    filter: TicketFilterInput | None = None,
    order_by: TicketOrderInput | None = None,
    first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
) -> Connection[Ticket]:
    caller = actor(info)
    filt, order = ticket_query(filter, order_by)
    ordering = ticket_ordering(order)
    keys = keyset_for(first, after, last, before, ordering, "tickets")
    items, values, more = await slices.tickets(caller, filt, order, keys)
    cursors = [encode_cursor(ordering.tag, t.id, v) for t, v in zip(items, values, strict=True)]
    return Connection.of(items, cursors, keys, more, lambda: slices.count_tickets(caller, filt))


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
    attachments: list[Upload] | None = strawberry.field(
        default=None,
        description=f"Files (GraphQL multipart request), at most {MAX_FILES_PER_ITEM} of at"
        f" most {MAX_FILE_BYTES // (1024 * 1024)} MiB each.",
    )


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
    attachments: list[Upload] | None = strawberry.field(
        default=None,
        description=f"Files (GraphQL multipart request), at most {MAX_FILES_PER_ITEM} of at"
        f" most {MAX_FILE_BYTES // (1024 * 1024)} MiB each.",
    )


@strawberry.input
class DeleteTicketInput:
    id: strawberry.ID


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
    if len(uploads) > MAX_FILES_PER_ITEM:
        raise Invalid("attachments", f"At most {MAX_FILES_PER_ITEM} files may be attached.")
    if not all(isinstance(u, UploadFile) for u in uploads):
        raise Invalid("attachments", "Send files as a GraphQL multipart request.")
    return [await new_file(u, "upload") for u in uploads]


@strawberry.type
class TicketMutations:
    @mutation("Open a ticket (customers pick at most its queue besides the text fields).")
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload | None:
        fields = {k: v for k, v in _changes(input, skip=("attachments",)).items() if v is not None}
        uploads = await _files(input.attachments)
        ticket = await tickets.create_ticket(
            actor(info), files=uploads, storage=info.context.storage, **fields
        )
        return TicketPayload(ticket=ticket)

    @mutation("Change the fields passed (null clears a field); the others stay as they are.")
    async def update_ticket(self, info: Info, input: UpdateTicketInput) -> TicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        changes = _changes(input, skip=("id",))
        return TicketPayload(ticket=await tickets.update_ticket(actor(info), ticket_id, **changes))

    @mutation("Move a ticket to another status (OPEN on a closed ticket reopens it).")
    async def set_ticket_status(
        self, info: Info, input: SetTicketStatusInput
    ) -> TicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        ticket = await tickets.set_status(
            actor(info), ticket_id, input.status.value, resolution=input.resolution
        )
        return TicketPayload(ticket=ticket)

    @mutation("Assign a ticket to a staff member, or unassign it (staff only).")
    async def assign_ticket(self, info: Info, input: AssignTicketInput) -> TicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        user_id = None if input.assignee is None else parse_id(input.assignee, "User", "assignee")
        return TicketPayload(ticket=await tickets.assign(actor(info), ticket_id, user_id))

    @mutation("Comment on a ticket, optionally moving its status in the same change.")
    async def add_comment(self, info: Info, input: AddCommentInput) -> CommentPayload | None:
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
        self, info: Info, input: DeleteTicketInput
    ) -> DeleteTicketPayload | None:
        ticket_id = parse_id(input.id, "Ticket", "id")
        await tickets.delete_ticket(actor(info), ticket_id)
        return DeleteTicketPayload(
            deleted_ticket_id=strawberry.ID(str(relay.GlobalID("Ticket", str(ticket_id)))),
            deleted_id=strawberry.ID(str(ticket_id)),
        )
