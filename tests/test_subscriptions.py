"""Subscriptions over graphql-transport-ws on /graphql, against the ASGI app (httpx-ws)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from models import Event
from resolvers import comments, live, queues, tickets
from resolvers.clock import now
from resolvers.live import EventHub, _Listener
from resolvers.permissions import SYSTEM
from server import build_app
from tests.helpers import bearer, gql, token_for

EVENTS = """subscription($filter: TicketEventFilter, $after: ID) {
  ticketEvents(filter: $filter, after: $after) { eventId type ticketNumber payload }
}"""
WAIT = 10  # seconds a test waits for a message before failing (never slept)


@pytest.fixture
def live_app(settings):
    """The app with a hub that reads the event table every 10 ms."""
    return build_app(dataclasses.replace(settings, subscription_poll_seconds=0.01), manage_db=False)


@contextlib.asynccontextmanager
async def connected(app, payload: dict | None):
    transport = ASGIWebSocketTransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": payload or {}})
        ack = await ws.receive_json(timeout=WAIT)
        assert ack == {"type": "connection_ack"}
        yield ws


async def listeners(app, count: int) -> None:
    """Wait until `app`'s hub has `count` subscribers (a condition, not a delay)."""
    async with asyncio.timeout(WAIT):
        while app.state.event_hub.listeners != count:  # noqa: ASYNC110
            await asyncio.sleep(0.001)


async def subscribe(ws, query: str, app=None, **variables) -> None:
    """Start a subscription; with `app` (no other subscriber), return once its hub has it
    listening (a subscription without `after` hears what is committed from then on)."""
    payload = {"query": query, "variables": variables}
    await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
    if app is not None:
        await listeners(app, 1)


async def next_data(ws, field: str = "ticketEvents"):
    message = await ws.receive_json(timeout=WAIT)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"][field]


async def test_every_door_reaches_a_staff_subscriber(live_app, client, agent, customer):
    token = await token_for(agent)
    async with connected(live_app, {"Authorization": f"Bearer {token}"}) as ws:
        await subscribe(ws, EVENTS, live_app)
        created = await gql(  # GraphQL, through another app: as another process would
            client,
            'mutation { createTicket(input: {title: "VPN down"}) { ticket { number } } }',
            await token_for(customer),
        )
        number = created["data"]["createTicket"]["ticket"]["number"]
        event = await next_data(ws)
        assert event["type"] == "ticket.created"
        assert event["ticketNumber"] == number
        response = await client.post(  # a REST door
            f"/api/v1/tickets/{number}/comments",
            json={"content": "Looking", "is_internal": True},
            headers=bearer(token),
        )
        assert response.status_code == 201, response.text
        comment = await next_data(ws)
        assert (comment["type"], comment["ticketNumber"]) == ("comment.created", number)
        assert comment["payload"]["is_internal"] is True
        assert int(comment["eventId"]) > int(event["eventId"])


async def test_a_customer_hears_only_its_tickets_and_no_internal_comment(
    live_app, customer, other_customer, agent
):
    mine = await tickets.create_ticket(customer, title="Mine")
    theirs = await tickets.create_ticket(other_customer, title="Theirs")
    token = await token_for(customer)
    async with connected(live_app, {"headers": {"Authorization": f"Bearer {token}"}}) as ws:
        await subscribe(ws, EVENTS, live_app)
        await comments.add_comment(agent, theirs.id, "Hello other")
        await comments.add_comment(agent, mine.id, "Internal note", is_internal=True)
        await tickets.set_status(agent, mine.id, "in_progress")
        event = await next_data(ws)  # events arrive in order: the two before were withheld
        assert (event["type"], event["ticketNumber"]) == ("ticket.status_changed", mine.id)
        assert event["payload"] == {"previous": "open", "current": "in_progress"}


async def test_an_agent_with_per_queue_permission_hears_only_its_queues(settings, customer, agent):
    app = build_app(
        dataclasses.replace(
            settings,
            subscription_poll_seconds=0.01,
            helpdesk_enable_per_queue_staff_permission=True,
        ),
        manage_db=False,
    )
    mine = await queues.create_queue(SYSTEM, title="Mine", slug="mine")
    other = await queues.create_queue(SYSTEM, title="Other", slug="other")
    await queues.add_member(SYSTEM, mine.id, agent.id)
    foreign = await tickets.create_ticket(customer, title="Foreign", queue_id=other.id)
    ours = await tickets.create_ticket(customer, title="Ours", queue_id=mine.id)
    token = await token_for(agent)
    async with connected(app, {"Authorization": f"Bearer {token}"}) as ws:
        await subscribe(ws, EVENTS, app)
        await comments.add_comment(customer, foreign.id, "Not for this agent")
        await comments.add_comment(customer, ours.id, "For this agent")
        event = await next_data(ws)  # in order: the one before was withheld
        assert (event["type"], event["ticketNumber"]) == ("comment.created", ours.id)


async def test_filters_by_ticket_queue_and_type(live_app, agent):
    first = await tickets.create_ticket(agent, title="First")
    second = await tickets.create_ticket(agent, title="Second")
    token = await token_for(agent)
    async with connected(live_app, {"X-Token": token}) as ws:
        only_second = {"ticketId": str(second.id), "types": ["ticket.status_changed"]}
        await subscribe(ws, EVENTS, live_app, filter=only_second)
        await tickets.set_status(agent, first.id, "in_progress")
        await comments.add_comment(agent, second.id, "A comment")
        await tickets.set_status(agent, second.id, "in_progress")
        event = await next_data(ws)
        assert (event["type"], event["ticketNumber"]) == ("ticket.status_changed", second.id)


async def test_resuming_after_the_last_event_misses_nothing(live_app, agent):
    ticket = await tickets.create_ticket(agent, title="Resume")
    token = await token_for(agent)
    auth = {"Authorization": f"Bearer {token}"}
    async with connected(live_app, auth) as ws:
        await subscribe(ws, EVENTS, live_app)
        await comments.add_comment(agent, ticket.id, "one")
        last = (await next_data(ws))["eventId"]
    await listeners(live_app, 0)
    await comments.add_comment(agent, ticket.id, "two")  # while nobody listens
    await tickets.set_status(agent, ticket.id, "resolved")
    async with connected(live_app, auth) as ws:
        await subscribe(ws, EVENTS, after=last)
        missed = [await next_data(ws), await next_data(ws)]
        assert [e["type"] for e in missed] == ["comment.created", "ticket.status_changed"]
        await tickets.set_status(agent, ticket.id, "closed")
        assert (await next_data(ws))["payload"]["current"] == "closed"


async def test_without_after_a_subscription_starts_with_the_next_event(live_app, agent):
    ticket = await tickets.create_ticket(agent, title="Fresh")
    auth = {"Authorization": f"Bearer {await token_for(agent)}"}
    async with connected(live_app, auth) as ws:
        await subscribe(ws, EVENTS, live_app)
    await listeners(live_app, 0)
    await comments.add_comment(agent, ticket.id, "while nobody listens")
    async with connected(live_app, auth) as ws:
        await subscribe(ws, EVENTS, live_app)
        await tickets.set_status(agent, ticket.id, "resolved")
        assert (await next_data(ws))["type"] == "ticket.status_changed"


async def test_ticket_updated_until_deleted(live_app, agent, customer):
    ticket = await tickets.create_ticket(customer, title="Watch me")
    token = await token_for(customer)
    query = "subscription($id: ID!) { ticketUpdated(id: $id) { number status } }"
    async with connected(live_app, {"Authorization": f"Bearer {token}"}) as ws:
        await subscribe(ws, query, live_app, id=str(ticket.id))
        await tickets.set_status(agent, ticket.id, "in_progress")
        assert await next_data(ws, "ticketUpdated") == {
            "number": ticket.id,
            "status": "IN_PROGRESS",
        }
        await tickets.delete_ticket(SYSTEM, ticket.id)
        assert await next_data(ws, "ticketUpdated") is None  # deleted: null, then the end
        assert (await ws.receive_json(timeout=WAIT)) == {"id": "1", "type": "complete"}


async def test_ticket_updated_of_an_invisible_ticket_is_not_found(live_app, customer, agent):
    hidden = await tickets.create_ticket(agent, title="Staff only")
    token = await token_for(customer)
    query = "subscription($id: ID!) { ticketUpdated(id: $id) { number } }"
    async with connected(live_app, {"Authorization": f"Bearer {token}"}) as ws:
        await subscribe(ws, query, id=str(hidden.id))
        message = await ws.receive_json(timeout=WAIT)
        assert message["type"] == "next"
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_costly_subscription_is_refused(settings, agent):
    app = build_app(dataclasses.replace(settings, graphql_max_cost=50), manage_db=False)
    query = "subscription { ticketEvents { ticket { comments(first: 60) { totalCount } } } }"
    async with connected(app, {"X-Token": await token_for(agent)}) as ws:
        await subscribe(ws, query)
        message = await ws.receive_json(timeout=WAIT)
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert error["message"] == "This query may return 60 objects; the limit is 50."


async def test_anonymous_subscribers_are_refused(live_app):
    async with connected(live_app, {}) as ws:
        await subscribe(ws, EVENTS)
        message = await ws.receive_json(timeout=WAIT)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_wrong_credential_closes_the_connection(live_app):
    transport = ASGIWebSocketTransport(app=live_app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive_json(timeout=WAIT)
    assert closed.value.code == 4403


async def test_the_hub_waits_for_an_id_still_committing(settings, agent, monkeypatch):
    """On PostgreSQL id 8 may commit after id 9: the hub hands out 9 only after 8 (or after
    waiting GAP_GRACE for it), so a subscriber resuming after 9 cannot have missed 8."""
    hub = EventHub()
    ticket = await tickets.create_ticket(agent, title="Gaps")
    listener = _Listener()
    hub._listeners.add(listener)
    await hub._start()
    await hub.stop()  # reads by hand below
    start = hub.horizon
    await _event(ticket.id, start + 2)  # committed first
    await hub.read()
    assert listener.batches.empty()
    await _event(ticket.id, start + 1)
    await hub.read()
    assert [e.id for e in listener.batches.get_nowait()] == [start + 1, start + 2]
    await _event(ticket.id, start + 4)  # start + 3 rolled back: given up after the grace
    await hub.read()
    assert listener.batches.empty()
    monkeypatch.setattr(live, "GAP_GRACE", 0.0)
    await hub.read()
    assert [e.id for e in listener.batches.get_nowait()] == [start + 4]


async def _event(ticket_id: int, event_id: int) -> None:
    await Event.create(
        id=event_id, kind="ticket.updated", ticket_id=ticket_id, payload={}, created_at=now()
    )


async def test_subscriptions_over_plain_http_are_refused(client):
    for send in (client.post, client.get):
        kwargs = {"json" if send == client.post else "params": {"query": EVENTS}}
        answer = await send("/graphql", **kwargs)
        assert answer.status_code == 400
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "WebSocket" in error["message"]
