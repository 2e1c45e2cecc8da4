"""Group commit (resolvers/writes.py): commands that arrive together share one commit, and a
failing one is rolled back alone."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from tortoise import connections

from models import Comment, Event, Ticket
from resolvers import comments, events, tickets, writes
from resolvers.errors import Invalid
from tests.helpers import ON_POSTGRES


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
    titles = await Ticket.all().values_list("title", flat=True)
    assert sorted(titles) == ["busy", "first", "last"]
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


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's file lock")
async def test_a_write_waits_for_another_process_holding_the_write_lock(customer, data_dir):
    """`serve --workers N` on SQLite: a write finds the file locked by another process's
    writer and waits for it (busy_timeout), instead of failing with "database is locked"."""
    other = sqlite3.connect(data_dir / "test.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        waiting = asyncio.create_task(tickets.create_ticket(customer, title="patient"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done()
        other.execute("COMMIT")
        assert (await waiting).title == "patient"
    finally:
        other.close()
    assert await Ticket.filter(title="patient").exists()


async def test_reads_do_not_wait_for_an_open_write(customer):
    """A read answers with the committed state while a write transaction is still open."""
    await tickets.create_ticket(customer, title="old")
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow_write():
        async with writes.transaction():
            await Ticket.filter(title="old").update(title="new")
            inside.set()
            await release.wait()

    writing = asyncio.create_task(slow_write())
    await inside.wait()
    titles = Ticket.all().values_list("title", flat=True)
    assert await asyncio.wait_for(titles, 60) == ["old"]  # (a guard against a hang, no timing)
    release.set()
    await writing
    assert await Ticket.all().values_list("title", flat=True) == ["new"]
