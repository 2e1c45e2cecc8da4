"""Concurrent changes to one ticket: none is lost, the status history stays a chain."""

from __future__ import annotations

import asyncio

from models import Event
from resolvers import comments, events, tickets
from tests.helpers import bearer, gql, token_for


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


async def test_doors_changing_one_ticket_at_once_lose_nothing(client, agent, customer):
    """GraphQL, platform v1 and helpdesk change different fields of one ticket at the same
    moment, while two doors move its status: every acknowledged change is there afterwards,
    nothing answers 5xx, and the status history stays a chain."""
    token = await token_for(agent)
    ticket = await tickets.create_ticket(customer, title="contested")
    tid = ticket.id
    statuses = ["in_progress", "resolved", "open", "closed", "in_progress"]
    for n, status in enumerate(statuses):
        answers = await asyncio.gather(
            gql(
                client,
                "mutation($id: ID!, $p: Int) { updateTicket(input: {id: $id, priority: $p}) "
                "{ ticket { id } userErrors { code } } }",
                token,
                id=str(tid),
                p=n % 5 + 1,
            ),
            client.patch(
                f"/api/v1/tickets/{tid}", json={"title": f"title {n}"}, headers=bearer(token)
            ),
            client.patch(
                f"/helpdesk/api/tickets/{tid}/",
                json={"on_hold": n % 2 == 0, "resolution": f"r{n}"},
                headers=bearer(token),
            ),
            client.patch(f"/api/v1/tickets/{tid}", json={"status": status}, headers=bearer(token)),
            gql(
                client,
                "mutation($id: ID!) { setTicketStatus(input: {id: $id, status: IN_PROGRESS}) "
                "{ ticket { id } } }",
                token,
                id=str(tid),
            ),
        )
        graphql_update, v1, helpdesk, v1_status, _ = answers
        assert graphql_update["data"]["updateTicket"]["userErrors"] == [], graphql_update
        assert (v1.status_code, helpdesk.status_code) == (200, 200), (v1.text, helpdesk.text)
        assert v1_status.status_code < 500, v1_status.text
        now = await tickets.get_ticket(agent, tid)
        assert (now.priority, now.title, now.on_hold, now.resolution) == (
            n % 5 + 1,
            f"title {n}",
            n % 2 == 0,
            f"r{n}",
        )
    changed = await Event.filter(ticket_id=tid, kind=events.TICKET_STATUS_CHANGED).order_by("id")
    assert len(changed) >= len(statuses)
    current = "open"
    for event in changed:
        assert event.payload["previous"] == current
        current = event.payload["current"]
    assert (await tickets.get_ticket(agent, tid)).status == current


async def test_update_with_expected_updated_at_refuses_a_stale_copy(client, agent, customer):
    token = await token_for(agent)
    ticket = await tickets.create_ticket(customer, title="t")
    read = await gql(
        client, "query($id: ID!) { ticket(id: $id) { updatedAt } }", token, id=str(ticket.id)
    )
    seen = read["data"]["ticket"]["updatedAt"]
    update = (
        "mutation($id: ID!, $p: Int, $at: DateTime) { updateTicket(input: "
        "{id: $id, priority: $p, expectedUpdatedAt: $at}) "
        "{ ticket { priority updatedAt } userErrors { code } } }"
    )
    first = await gql(client, update, token, id=str(ticket.id), p=1, at=seen)
    assert first["data"]["updateTicket"]["ticket"]["priority"] == 1
    stale = await gql(client, update, token, id=str(ticket.id), p=2, at=seen)
    assert stale["data"]["updateTicket"] == {"ticket": None, "userErrors": [{"code": "CONFLICT"}]}
    assert (await tickets.get_ticket(agent, ticket.id)).priority == 1
    fresh = first["data"]["updateTicket"]["ticket"]["updatedAt"]
    again = await gql(client, update, token, id=str(ticket.id), p=2, at=fresh)
    assert again["data"]["updateTicket"]["ticket"]["priority"] == 2
