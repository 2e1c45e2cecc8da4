"""Workflows: several domain steps that must happen together, each in one transaction (a
failure in a later step leaves nothing of the earlier ones)."""

from __future__ import annotations

from typing import Any

from models import Ticket
from resolvers import comments, tickets, users, writes
from resolvers.files import NewFile, Storage
from resolvers.permissions import Actor


async def open_with_first_message(
    actor: Actor | None,
    *,
    files: list[NewFile] = (),
    storage: Storage | None = None,
    **fields: Any,
) -> Ticket:
    """django-helpdesk's ticket form: the ticket, then a public followup titled "Ticket
    Opened" (naming the assignee, if any) carrying the description and the files."""
    async with writes.transaction():
        ticket = await tickets.create_ticket(actor, **fields)
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
