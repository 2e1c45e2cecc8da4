"""Comments: internal visibility, conversation timestamps, status changes, batched pages."""

from datetime import UTC, datetime, timedelta

import pytest

from models import Comment, Event, Status
from resolvers import clock, comments, events, slices, tickets
from resolvers.errors import Forbidden, Invalid, NotFound
from resolvers.pagination import Keyset, Window
from resolvers.sql import to_datetime

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


async def test_first_response_is_first_public_staff_comment(monkeypatch, customer, agent):
    now = {"t": T0}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    ticket = await tickets.create_ticket(customer, title="x")
    now["t"] = T0 + timedelta(minutes=1)
    await comments.add_comment(customer, ticket.id, "more details")
    now["t"] = T0 + timedelta(minutes=2)
    await comments.add_comment(agent, ticket.id, "note to self", is_internal=True)
    ticket = await tickets.get_ticket(agent, ticket.id)
    assert ticket.first_response_at is None
    assert ticket.last_message_at == T0 + timedelta(minutes=1)
    assert ticket.last_message_by_staff is False
    now["t"] = T0 + timedelta(minutes=3)
    await comments.add_comment(agent, ticket.id, "on it")
    now["t"] = T0 + timedelta(minutes=4)
    await comments.add_comment(agent, ticket.id, "still on it")
    ticket = await tickets.get_ticket(agent, ticket.id)
    assert ticket.first_response_at == T0 + timedelta(minutes=3)
    assert ticket.last_message_at == T0 + timedelta(minutes=4)
    assert ticket.last_message_by_staff is True


async def test_customers_never_see_internal_comments(customer, agent):
    ticket = await tickets.create_ticket(customer, title="x")
    await comments.add_comment(agent, ticket.id, "public")
    secret = await comments.add_comment(agent, ticket.id, "internal", is_internal=True)
    seen = await comments.list_comments(customer, ticket.id, Window(0, 20))
    assert [c.body for c in seen.items] == ["public"] and seen.total == 1
    staff = await comments.list_comments(agent, ticket.id, Window(0, 20))
    assert [c.body for c in staff.items] == ["public", "internal"]
    with pytest.raises(NotFound):
        await comments.get_comment(customer, secret.id)
    history = (await events.histories_for(customer, [ticket.id], Keyset(20)))[ticket.id]
    assert history.items and all(not e.internal for e in history.items)
    assert await Event.filter(ticket_id=ticket.id, internal=True).count() == 1


async def test_customer_cannot_write_internal_or_foreign(customer, other_customer):
    ticket = await tickets.create_ticket(customer, title="x")
    with pytest.raises(Forbidden):
        await comments.add_comment(customer, ticket.id, "psst", is_internal=True)
    with pytest.raises(NotFound):
        await comments.add_comment(other_customer, ticket.id, "hi")


async def test_comment_can_change_status(agent):
    ticket = await tickets.create_ticket(agent, title="x")
    comment = await comments.add_comment(agent, ticket.id, "fixed", new_status="resolved")
    assert comment.new_status == "resolved"
    assert (await tickets.get_ticket(agent, ticket.id)).status == Status.RESOLVED


async def test_empty_body_is_invalid(agent):
    ticket = await tickets.create_ticket(agent, title="x")
    with pytest.raises(Invalid) as err:
        await comments.add_comment(agent, ticket.id, "   ")
    assert err.value.field == "body"


async def test_comments_for_many_tickets_pages_each(agent, count_sql):
    ids = []
    for n in range(3):
        ticket = await tickets.create_ticket(agent, title=f"t{n}")
        for i in range(n + 2):
            await comments.add_comment(agent, ticket.id, f"c{n}.{i}")
        ids.append(ticket.id)
    first = await slices.comments(agent, ids, Keyset(1))
    after = {i: to_datetime(first[i].sort_values[0][0]) for i in ids}
    assert len(set(after.values())) == 3
    # Each ticket's page after its first comment (one cursor per ticket here):
    pages = {}
    for i in ids:
        start = ((after[i],), first[i].items[0].id)
        with count_sql() as statements:
            pages.update(await slices.comments(agent, [i], Keyset(2, after=start)))
        assert len(statements) == 3
    assert [c.body for c in pages[ids[0]].items] == ["c0.1"]
    assert [c.body for c in pages[ids[2]].items] == ["c2.1", "c2.2"]
    assert [pages[i].total for i in ids] == [2, 3, 4]
    assert [pages[i].more for i in ids] == [False, False, True]


async def test_every_invalid_field_of_a_comment_is_reported_at_once(customer, agent):
    ticket = await tickets.create_ticket(customer, title="Printer")
    with pytest.raises(Invalid) as raised:
        await comments.add_comment(agent, ticket.id, "", title="t" * 1000, time_spent_seconds=-1)
    assert [error.field for error in raised.value.fields] == ["body", "title", "time_spent"]
    assert await Comment.filter(ticket_id=ticket.id).count() == 0  # nothing written
