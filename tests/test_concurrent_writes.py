"""Concurrent changes to one ticket: none is lost, the status history stays a chain."""

from __future__ import annotations

import asyncio

from models import Event
from resolvers import comments, events, tickets


async def test_concurrent_changes_of_different_fields_are_all_kept(agent, customer):
    made = [await tickets.create_ticket(customer, title=f"t{n}") for n in range(10)]
    changes = []
    for ticket in made:
        changes += [
            tickets.update_ticket(agent, ticket.id, title=f"renamed {ticket.id}"),
            tickets.update_ticket(agent, ticket.id, priority=1),
            tickets.update_ticket(agent, ticket.id, tags=["urgent"]),
            comments.add_comment(agent, ticket.id, "on it"),
        ]
    await asyncio.gather(*changes)
    for ticket in made:
        now = await tickets.get_ticket(agent, ticket.id)
        assert (now.title, now.priority) == (f"renamed {ticket.id}", 1)
        assert now.first_response_at is not None  # the comment's change to the ticket too
        assert (await tickets.tags_for([ticket.id]))[ticket.id] == ["urgent"]


async def test_concurrent_status_changes_leave_a_chain(agent, customer):
    ticket = await tickets.create_ticket(customer, title="busy")
    wanted = ["in_progress", "resolved", "reopened", "closed", "in_progress", "duplicate"] * 3
    results = await asyncio.gather(
        *(tickets.set_status(agent, ticket.id, s) for s in wanted), return_exceptions=True
    )
    assert any(not isinstance(r, Exception) for r in results)
    changed = await Event.filter(ticket_id=ticket.id, kind=events.TICKET_STATUS_CHANGED).order_by(
        "id"
    )
    current = "open"
    for event in changed:
        assert event.payload["previous"] == current
        current = event.payload["current"]
    assert (await tickets.get_ticket(agent, ticket.id)).status == current
