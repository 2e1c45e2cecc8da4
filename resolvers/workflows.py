"""Workflows: several domain steps that must happen together, each in one transaction (a
failure in a later step leaves nothing of the earlier ones)."""

from __future__ import annotations

from typing import Any

from models import Comment, Status, Ticket
from resolvers import comments, tickets, users, writes
from resolvers.files import NewFile, Storage
from resolvers.permissions import Actor, visible_ticket


async def open_with_first_message(
    actor: Actor | None,
    *,
    files: list[NewFile] = (),
    storage: Storage | None = None,
    **fields: Any,
) -> Ticket:
    """django-helpdesk's ticket form: the ticket (its assignee any active user: `lenient`),
    then a public followup titled "Ticket Opened" (naming the assignee, if any) carrying the
    description and the files."""
    async with writes.transaction():
        ticket = await tickets.create_ticket(actor, lenient=True, **fields)
        title = "Ticket Opened"
        if ticket.assigned_to_id:
            owner = await users.get_user(actor, ticket.assigned_to_id)
            title = f"Ticket Opened & Assigned to {owner.name or owner.username}"
        await comments.add_comment(
            actor, ticket.id, ticket.description, title=title, files=files, storage=storage
        )
    return ticket


async def resolve_with_note(actor: Actor | None, ticket_id: int, resolution: str) -> None:
    """A public followup titled "Resolved" carrying the resolution, status Resolved, and the
    ticket's `resolution` set."""
    async with writes.transaction():
        await comments.add_comment(
            actor, ticket_id, resolution, title="Resolved", new_status="resolved"
        )
        await tickets.update_ticket(actor, ticket_id, resolution=resolution)


async def followup(
    actor: Actor | None,
    ticket_id: int,
    comment: str,
    *,
    title: str | None = None,
    new_status: Status | None = None,
    is_internal: bool = True,
    time_spent_seconds: int | None = None,
    files: list[NewFile] = (),
    storage: Storage | None = None,
) -> Comment:
    """django-helpdesk's followup (its `update_ticket`), as one step:

    * the followup is titled `title`, else the ticket's title; a status change appends
      " and <Status>" ("Resolved" alone when the title is empty); still empty, it is
      "Comment" (or "Updated" when the comment is empty too, which only a status may be);
    * a non-empty `title` renames the ticket;
    * staff set the status they send, without the flow (`lenient`);
    * a non-empty comment becomes the ticket's resolution when the ticket ends up resolved,
      or closed without a resolution yet."""
    async with writes.transaction():
        ticket = await visible_ticket(actor, ticket_id, for_update=True)
        named = ticket.title if title is None else title
        label = named
        if new_status is not None and new_status != ticket.status:
            shown = new_status.value.replace("_", " ").title()
            label = f"{named} and {shown}" if named else shown
        note = await comments.add_comment(
            actor,
            ticket.id,
            comment,
            is_internal=is_internal,
            title=label or ("Comment" if comment.strip() else "Updated"),
            new_status=new_status,
            time_spent_seconds=time_spent_seconds,
            files=files,
            storage=storage,
            lenient=True,
        )
        changes = {}
        if named.strip() and named != ticket.title:
            changes["title"] = named
        status = new_status or ticket.status
        closing = status == Status.CLOSED and ticket.resolution is None
        if note.body and (status == Status.RESOLVED or closing):
            changes["resolution"] = note.body
        if changes:
            await tickets.update_ticket(actor, ticket.id, **changes)
    return note
