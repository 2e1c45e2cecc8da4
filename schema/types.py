"""GraphQL object types. Roots are the Tortoise model instances; relations go through loaders."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

import models
from models import Role, Status
from resolvers import comments, custom_fields, permissions
from resolvers.errors import NotFound
from resolvers.validation import parse_id as database_id
from schema.connections import Connection, forward_window, window_for
from schema.context import actor, loaders

TicketStatus = strawberry.enum(Status, name="TicketStatus")
UserRole = strawberry.enum(Role, name="UserRole")


def _model_node(model):
    """Let Strawberry recognise a Tortoise instance as this GraphQL type (for `node`)."""

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, model)

    return is_type_of


async def _nodes(info: Info, node_ids, getter) -> list:
    """Fetch nodes one by one through the domain's permission-checked getter."""
    found = []
    for node_id in node_ids:
        number = database_id(node_id)  # (None for ids no 32-bit column holds)
        try:
            found.append(None if number is None else await getter(actor(info), number))
        except NotFound:  # missing or invisible: a null node, as Relay expects
            found.append(None)
    return found


@strawberry.type
class User(relay.Node):
    id: relay.NodeID[int]
    username: str
    email: str
    name: str
    role: UserRole
    is_active: bool
    slack_id: str | None
    created_at: datetime
    last_login_at: datetime | None
    is_type_of = _model_node(models.User)

    @strawberry.field
    def database_id(self) -> int:
        return self.id

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        from resolvers.users import get_user

        return await _nodes(info, node_ids, get_user)


@strawberry.type
class Queue(relay.Node):
    id: relay.NodeID[int]
    title: str
    slug: str
    is_public: bool  # its tickets are in the anonymous nephthys feed (docs/nephthys.md)
    archived_at: datetime | None  # archived: takes no new tickets
    is_type_of = _model_node(models.Queue)

    @strawberry.field
    def database_id(self) -> int:
        return self.id

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        from resolvers.queues import get_queue

        return await _nodes(info, node_ids, get_queue)


@strawberry.type
class Attachment:
    filename: str
    mime_type: str
    size: int
    sha256: str
    created_at: datetime
    is_type_of = _model_node(models.Attachment)

    @strawberry.field
    def database_id(self) -> int:
        return self.id

    @strawberry.field
    def uuid(self) -> str:
        return str(self.uuid)


@strawberry.type
class Comment(relay.Node):
    id: relay.NodeID[int]
    title: str
    body: str
    is_internal: bool
    created_at: datetime
    new_status: str | None
    is_type_of = _model_node(models.Comment)

    @strawberry.field
    def database_id(self) -> int:
        return self.id

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.author_id) if self.author_id else None

    @strawberry.field
    async def attachments(self, info: Info) -> list[Attachment]:
        return await loaders(info).comment_attachments.load(self.id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await _nodes(info, node_ids, comments.get_comment)


@strawberry.type(description="One change in a ticket's history.")
class Event:
    kind: str
    payload: JSON
    created_at: datetime
    is_type_of = _model_node(models.Event)

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.actor_id) if self.actor_id else None


@strawberry.type
class Ticket(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    status: TicketStatus
    on_hold: bool
    priority: int
    submitter_email: str
    client_aliased_name: str | None
    message_ts: str | None
    resolution: str | None
    due_date: datetime | None
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None
    first_response_at: datetime | None
    last_message_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_at: datetime | None
    is_type_of = _model_node(models.Ticket)

    @strawberry.field(name="customFields", description="Custom values; staff-only ones for staff.")
    def visible_custom_fields(self, info: Info) -> JSON:
        return custom_fields.visible(actor(info), self.custom_fields)

    @strawberry.field(description="The ticket's number (its integer id in every REST dialect).")
    def number(self) -> int:
        return self.id

    @strawberry.field
    async def queue(self, info: Info) -> Queue | None:
        return await loaders(info).queue.load(self.queue_id) if self.queue_id else None

    @strawberry.field
    async def opened_by(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.opened_by_id) if self.opened_by_id else None

    @strawberry.field
    async def assigned_to(self, info: Info) -> User | None:
        user_id = self.assigned_to_id
        return await loaders(info).user.load(user_id) if user_id else None

    @strawberry.field
    async def closed_by(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.closed_by_id) if self.closed_by_id else None

    @strawberry.field
    async def tags(self, info: Info) -> list[str]:
        return await loaders(info).tags.load(self.id)

    @strawberry.field
    async def client_emails(self, info: Info) -> list[str]:
        return await loaders(info).contacts.load(self.id)

    @strawberry.field(description="Files attached to the ticket itself; comments list theirs.")
    async def attachments(self, info: Info) -> list[Attachment]:
        return await loaders(info).ticket_attachments.load(self.id)

    @strawberry.field(description="Comments, oldest first; internal ones only for staff.")
    async def comments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Comment]:
        caller = actor(info)
        total_only = comments.visible_comments(caller).filter(ticket_id=self.id).count
        win = await window_for(first, after, last, before, total_only)
        page = await loaders(info).comment_page(caller, win).load(self.id)
        return Connection.from_page(page)

    @strawberry.field(description="Every recorded change, oldest first.")
    async def history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Event]:
        win = forward_window(first, after)
        return Connection.from_page(
            await loaders(info).history_page(actor(info), win).load(self.id)
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await _nodes(info, node_ids, permissions.visible_ticket)
