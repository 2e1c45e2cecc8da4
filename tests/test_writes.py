"""Group commit (resolvers/writes.py): commands that arrive together share one commit, and a
failing one is rolled back alone."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from models import Comment, Event, Ticket
from resolvers import comments, events, tickets, writes
from resolvers.errors import Invalid
from tests.conftest import ON_POSTGRES


@pytest.fixture
def commits():
    """The COMMITs the SQLite writer sends (none on PostgreSQL: no writer there)."""
    sent: list[str] = []
    writer = writes._writer(connections.get("default"))
    if writer is not None:
        writer.conn.set_trace_callback(sent.append)
    yield lambda: [s for s in sent if s == "COMMIT"]
    if writer is not None:
        writer.conn.set_trace_callback(None)


async def test_a_failing_command_neither_fails_nor_undoes_the_others(agent, customer, commits):
    ticket = await tickets.create_ticket(customer, title="busy")
    before = len(commits())
    results = await asyncio.gather(
        tickets.create_ticket(customer, title="first"),
        # writes its comment and event, then fails on the status: all of it rolled back
        comments.add_comment(agent, ticket.id, "never saved", new_status="bogus"),
        tickets.update_ticket(agent, ticket.id, priority=1),
        tickets.create_ticket(customer, title="last"),
        return_exceptions=True,
    )
    first, failed, updated, last = results
    assert isinstance(failed, Invalid) and failed.field == "status"
    assert {first.title, last.title} == {"first", "last"} and updated.priority == 1
    titles = await Ticket.all().order_by("id").values_list("title", flat=True)
    assert titles == ["busy", "first", "last"]
    assert (await Ticket.get(id=ticket.id)).priority == 1
    assert not await Comment.filter(ticket_id=ticket.id).exists()
    assert not await Event.filter(kind=events.COMMENT_CREATED).exists()
    if not ON_POSTGRES:
        assert len(commits()) - before == 1  # the four commands shared one commit


async def test_only_changed_columns_are_written(agent, customer, count_sql):
    ticket = await tickets.create_ticket(customer, title="t")
    with count_sql() as statements:
        await tickets.update_ticket(agent, ticket.id, priority=2)
    (update,) = [s for s in statements if s.upper().startswith("UPDATE")]
    assert "priority" in update and "title" not in update and "description" not in update
