"""GraphQL object types. Roots are the Tortoise model instances; relations go through loaders."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

import models
from models import Role, Status
from resolvers import comments, custom_fields, files, permissions
from resolvers.errors import NotFound
from resolvers.permissions import require_user
from resolvers.validation import parse_id as database_id
from schema.connections import (
    AFTER,
    BEFORE,
    COMMENT_ORDER,
    FIRST,
    HISTORY_ORDER,
    LAST,
    Connection,
    connection_of,
    keyset_for,
)
from schema.context import actor, loaders
from schema.descriptions import described_enum

TicketStatus = described_enum(
    Status,
    "TicketStatus",
    "Where a ticket is in its life cycle.",
    OPEN="New, waiting for staff.",
    IN_PROGRESS="Staff are working on it.",
    REOPENED="Closed once, then opened again.",
    RESOLVED="Solved; may still be reopened.",
    CLOSED="Done.",
    DUPLICATE="Closed as a duplicate of another ticket.",
)
UserRole = described_enum(
    Role,
    "UserRole",
    "What a user may do.",
    ADMIN="Everything, including managing users.",
    AGENT="Staff: every ticket and internal comment.",
    CUSTOMER="Only their own tickets (or those naming them), never internal comments.",
)


def model_node(model):
    """Let Strawberry recognise a Tortoise instance as this GraphQL type (for `node`)."""

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, model)

    return is_type_of


async def fetch_nodes(info: Info, node_ids, getter) -> list:
    """Fetch nodes one by one through the domain's permission-checked getter."""
    found = []
    for node_id in node_ids:
        number = database_id(node_id)  # (None for ids no 32-bit column holds)
        try:
            found.append(None if number is None else await getter(actor(info), number))
        except NotFound:  # missing or invisible: a null node, as Relay expects
            found.append(None)
    return found


@strawberry.type(description="A person: a customer, an agent or an admin.")
class User(relay.Node):
    id: relay.NodeID[int]
    username: str = strawberry.field(description="Unique login name.")
    email: str = strawberry.field(description="E-mail address (unique, lower case).")
    name: str = strawberry.field(description="Display name.")
    role: UserRole = strawberry.field(description="What the user may do.")
    is_active: bool = strawberry.field(
        description="False once deactivated: the user can no longer sign in."
    )
    slack_id: str | None = strawberry.field(description="The user's Slack member id, when known.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    last_login_at: datetime | None = strawberry.field(
        description="When the user last signed in with a password."
    )
    is_type_of = model_node(models.User)

    @strawberry.field(description="The integer id the REST doors use.")
    def database_id(self) -> int:
        return self.id

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        from resolvers.users import get_user

        return await fetch_nodes(info, node_ids, get_user)


@strawberry.type(description="A queue (topic) tickets are filed in.")
class Queue(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Its name.")
    slug: str = strawberry.field(description="Its short unique name.")
    is_public: bool = strawberry.field(
        description="Whether its tickets are in the anonymous nephthys feed (docs/nephthys.md)."
    )
    is_type_of = model_node(models.Queue)

    @strawberry.field(description="The integer id the REST doors use.")
    def database_id(self) -> int:
        return self.id

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        from resolvers.queues import get_queue

        return await fetch_nodes(info, node_ids, get_queue)


@strawberry.type(description="A file attached to a ticket or to a comment.")
class Attachment(relay.Node):
    id: relay.NodeID[int]
    filename: str = strawberry.field(description="Its name, as uploaded.")
    mime_type: str = strawberry.field(description="Its media type, as uploaded.")
    size: int = strawberry.field(description="Its size in bytes.")
    sha256: str = strawberry.field(description="The SHA-256 of its bytes (hex).")
    created_at: datetime = strawberry.field(description="When it was uploaded.")
    is_type_of = model_node(models.Attachment)

    @strawberry.field(description="Its database id.")
    def database_id(self) -> int:
        return self.id

    @strawberry.field(description="Its uuid (the REST doors' file id).")
    def uuid(self) -> str:
        return str(self.uuid)

    @strawberry.field(
        description="Where to download it: a link signed for the caller, valid for"
        f" {files.DOWNLOAD_SECONDS // 60} minutes (the download checks again that the caller"
        " may read the file; with a credential header, the path alone works too)."
    )
    def url(self, info: Info) -> str:
        user = require_user(actor(info))
        context = info.context
        token = files.download_token(context.settings.secret_key, self.id, user.id, time.time())
        path = f"/graphql/files/{self.id}?token={token}"
        request = context.request
        return f"{str(request.base_url).rstrip('/')}{path}" if request is not None else path

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await fetch_nodes(info, node_ids, files.get_attachment)


@strawberry.type(description="A comment (follow-up) on a ticket.")
class Comment(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Its title (some REST doors set one).")
    body: str = strawberry.field(description="Its text.")
    is_internal: bool = strawberry.field(description="Internal notes are seen by staff only.")
    created_at: datetime = strawberry.field(description="When it was written.")
    is_client_read: bool = strawberry.field(
        description="Whether the customer has read it (public comments)."
    )
    vote_score: int | None = strawberry.field(
        description="The customer's vote on this reply: 1 or -1 (voteComment)."
    )
    vote_comment: str | None = strawberry.field(description="The comment with that vote.")
    voted_at: datetime | None = strawberry.field(description="When the customer voted.")
    new_status: str | None = strawberry.field(
        description="The status the ticket moved to with this comment, if any (lower case)."
    )
    is_type_of = model_node(models.Comment)

    @strawberry.field(description="The integer id the REST doors use.")
    def database_id(self) -> int:
        return self.id

    @strawberry.field(description="Who wrote it (null for a deleted user or the system).")
    async def author(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.author_id) if self.author_id else None

    @strawberry.field(description="Files attached to this comment.")
    async def attachments(self, info: Info) -> list[Attachment]:
        return await loaders(info).comment_attachments.load(self.id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await fetch_nodes(info, node_ids, comments.get_comment)


@strawberry.type(description="One change in a ticket's history.")
class Event:
    kind: str = strawberry.field(
        description="What happened: ticket.created, ticket.updated, ticket.status_changed,"
        " ticket.assigned, comment.created, …"
    )
    payload: JSON = strawberry.field(
        description="The event's details (for ticket.updated: the changes, each with its"
        " previous and current value)."
    )
    created_at: datetime = strawberry.field(description="When it happened.")
    is_type_of = model_node(models.Event)

    @strawberry.field(description="Who did it (null for the system).")
    async def actor(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.actor_id) if self.actor_id else None


@strawberry.type(description="A support ticket.")
class Ticket(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="One-line summary.")
    description: str = strawberry.field(description="The request in full.")
    status: TicketStatus = strawberry.field(description="Where it is in its life cycle.")
    on_hold: bool = strawberry.field(description="Whether staff put it on hold.")
    priority: int = strawberry.field(description="1 (highest) to 5 (lowest).")
    submitter_email: str = strawberry.field(description="The e-mail address it was submitted from.")
    client_aliased_name: str | None = strawberry.field(
        description="The name the customer goes by on this ticket, if set."
    )
    message_ts: str | None = strawberry.field(description="The Slack message it came from, if any.")
    resolution: str | None = strawberry.field(description="How it was resolved, if said.")
    due_date: datetime | None = strawberry.field(description="When it is due, if set.")
    created_at: datetime = strawberry.field(description="When it was opened.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    assigned_at: datetime | None = strawberry.field(description="When it was last assigned.")
    first_response_at: datetime | None = strawberry.field(
        description="When staff first answered publicly."
    )
    last_message_at: datetime | None = strawberry.field(
        description="When the last public message was written."
    )
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    closed_at: datetime | None = strawberry.field(
        description="When it was closed (null while open)."
    )
    reopened_at: datetime | None = strawberry.field(description="When it was last reopened.")
    evaluation_score: int | None = strawberry.field(
        description="The customer's evaluation: 1 (worst) to 10 (best) (evaluateTicket)."
    )
    evaluation_comment: str | None = strawberry.field(description="The evaluation's words.")
    evaluated_at: datetime | None = strawberry.field(description="When it was evaluated.")
    is_type_of = model_node(models.Ticket)

    @strawberry.field(name="customFields", description="Custom values; staff-only ones for staff.")
    def visible_custom_fields(self, info: Info) -> JSON:
        return custom_fields.visible(actor(info), self.custom_fields)

    @strawberry.field(description="The ticket's number (its integer id in every REST dialect).")
    def number(self) -> int:
        return self.id

    @strawberry.field(description="Its queue.")
    async def queue(self, info: Info) -> Queue | None:
        return await loaders(info).queue.load(self.queue_id) if self.queue_id else None

    @strawberry.field(description="Who opened it.")
    async def opened_by(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.opened_by_id) if self.opened_by_id else None

    @strawberry.field(description="The staff member it is assigned to.")
    async def assigned_to(self, info: Info) -> User | None:
        user_id = self.assigned_to_id
        return await loaders(info).user.load(user_id) if user_id else None

    @strawberry.field(description="Who closed it.")
    async def closed_by(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.closed_by_id) if self.closed_by_id else None

    @strawberry.field(description="Its tags.")
    async def tags(self, info: Info) -> list[str]:
        return await loaders(info).tags.load(self.id)

    @strawberry.field(description="Other customers' e-mail addresses who may see it.")
    async def client_emails(self, info: Info) -> list[str]:
        return await loaders(info).contacts.load(self.id)

    @strawberry.field(description="The ticket it was merged into (mergeTicket), if visible.")
    async def merged_into(self, info: Info) -> Ticket | None:
        if self.merged_into_id is None:
            return None
        try:
            return await permissions.visible_ticket(actor(info), self.merged_into_id)
        except NotFound:
            return None

    @strawberry.field(description="Files attached to the ticket itself; comments list theirs.")
    async def attachments(self, info: Info) -> list[Attachment]:
        return await loaders(info).ticket_attachments.load(self.id)

    @strawberry.field(description="Comments, oldest first; internal ones only for staff.")
    async def comments(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    ) -> Connection[Comment]:
        keys = keyset_for(first, after, last, before, COMMENT_ORDER, "comments")
        page = await loaders(info).comment_page(actor(info), keys).load(self.id)
        return connection_of(page, keys, COMMENT_ORDER)

    @strawberry.field(description="Every recorded change, oldest first.")
    async def history(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    ) -> Connection[Event]:
        keys = keyset_for(first, after, last, before, HISTORY_ORDER, "history")
        page = await loaders(info).history_page(actor(info), keys).load(self.id)
        return connection_of(page, keys, HISTORY_ORDER)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await fetch_nodes(info, node_ids, permissions.visible_ticket)
