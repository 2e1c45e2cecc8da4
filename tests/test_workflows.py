"""Workflows (resolvers/workflows.py): every step or none."""

from __future__ import annotations

import pytest

from models import Comment, Event, Ticket
from resolvers import tickets, workflows
from resolvers.errors import Forbidden, Invalid
from resolvers.permissions import SYSTEM


async def test_opening_with_a_first_message_writes_both(agent):
    ticket = await workflows.open_with_first_message(
        agent, title="Printer", description="jammed", assigned_to_id=agent.id
    )
    [first] = await Comment.filter(ticket_id=ticket.id)
    assert (first.title, first.body, first.is_internal) == (
        "Ticket Opened & Assigned to Agent",
        "jammed",
        False,
    )


async def test_a_refused_first_message_leaves_no_ticket(agent):
    with pytest.raises(Invalid):  # the followup's body is required
        await workflows.open_with_first_message(agent, title="Printer", description="")
    assert await Ticket.all().count() == 0
    assert await Event.filter(kind__startswith="ticket").count() == 0


async def test_resolving_with_a_note_is_one_change(agent, customer):
    ticket = await tickets.create_ticket(customer, title="done?")
    await workflows.resolve_with_note(agent, ticket.id, "Replaced the fan")
    found = await tickets.get_ticket(SYSTEM, ticket.id)
    assert (found.status, found.resolution) == ("resolved", "Replaced the fan")


async def test_a_refused_resolution_keeps_the_ticket_as_it_was(customer):
    ticket = await tickets.create_ticket(customer, title="mine")
    with pytest.raises(Forbidden):  # customers may not write `resolution`
        await workflows.resolve_with_note(customer, ticket.id, "fixed it myself")
    found = await tickets.get_ticket(SYSTEM, ticket.id)
    assert (found.status, found.resolution) == ("open", None)
    assert await Comment.filter(ticket_id=ticket.id).count() == 0
