"""The nephthys dialect over HTTP: /api/tickets, /api/ticket, access, and a cross-door check.
Stats numbers are in test_stats.py.

The door is public here (NEPHTHYS_PUBLIC=true, not the default) and tickets are opened in a
public queue unless a test says otherwise, so anonymous requests see them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from models import Queue
from resolvers import clock, comments, credentials, feed, queues, tickets
from resolvers.permissions import SYSTEM
from server import build_app
from settings import Settings
from tests.helpers import bearer, gql, make_user, token_for

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TICKET_FIELDS = {
    "id",
    "title",
    "description",
    "status",
    "opened_by",
    "closed_by",
    "assigned_to",
    "reopened_by",
    "tags",
    "created_at",
    "closed_at",
    "message_ts",
}
TOO_BROAD = {
    "error": "Provided filters are too broad",
    "tip": "Please provide a ?since= or ?until= parameter, "
    "or filter by ?status=open or ?status=in_progress",
}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, nephthys_public=True)


@pytest.fixture(autouse=True)
async def lobby(admin):
    """The public queue `_open` puts tickets in."""
    return await queues.create_queue(admin, title="Lobby", slug="lobby", is_public=True)


@pytest.fixture
def at(monkeypatch):
    current = [NOW]
    monkeypatch.setattr(clock, "now", lambda: current[0])
    return lambda when: current.__setitem__(0, when)


async def _open(at, who, created: datetime, title: str, **fields) -> int:
    at(created)
    fields.setdefault("queue_id", (await Queue.get(slug="lobby")).id)
    ticket = await tickets.create_ticket(who, title=title, description=f"{title} text", **fields)
    at(NOW)
    return ticket.id


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def private(settings):
    async with _client(build_app(dataclasses.replace(settings, nephthys_public=False))) as c:
        yield c


# ---------------------------------------------------------------- /api/ticket


async def test_ticket_has_exactly_the_reference_fields(client, at, admin, agent, customer):
    ticket_id = await _open(at, customer, NOW - timedelta(hours=3), "Login", tags=["auth", "web"])
    await tickets.update_ticket(SYSTEM, ticket_id, message_ts="1775942657.605349")
    await tickets.assign(admin, ticket_id, agent.id)
    at(NOW - timedelta(hours=1))
    await tickets.set_status(agent, ticket_id, "closed")
    at(NOW - timedelta(minutes=30))
    await tickets.set_status(customer, ticket_id, "open")
    at(NOW - timedelta(minutes=10))
    await tickets.set_status(admin, ticket_id, "resolved")
    staff = bearer(await token_for(agent))
    response = await client.get("/api/ticket", params={"id": ticket_id}, headers=staff)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "id": ticket_id,
        "title": "Login",
        "description": "Login text",
        "status": "closed",  # resolved reads as closed
        "opened_by": {"id": customer.id, "slack_id": "", "username": "customer"},
        "closed_by": {"id": admin.id, "slack_id": "", "username": "admin"},
        "assigned_to": {"id": agent.id, "slack_id": "UAGENT1", "username": "agent"},
        "reopened_by": {"id": customer.id, "slack_id": "", "username": "customer"},
        "tags": ["auth", "web"],
        "created_at": "2026-03-10T09:00:00+00:00",
        "closed_at": "2026-03-10T11:50:00+00:00",
        "message_ts": "1775942657.605349",
    }


async def test_ticket_with_nobody_and_nothing(client, at, customer):
    ticket_id = await _open(at, customer, NOW, "Bare")
    body = (await client.get(f"/api/ticket?id={ticket_id}")).json()
    assert set(body) == TICKET_FIELDS
    assert body["status"] == "open"
    assert body["closed_by"] is body["assigned_to"] is body["reopened_by"] is None
    assert body["tags"] == [] and body["closed_at"] is None and body["message_ts"] == ""


@pytest.mark.parametrize(
    ("query", "status", "body"),
    [
        ("", 400, {"error": "missing_ticket_id"}),
        ("?id=abc", 400, {"error": "invalid_ticket_id"}),
        ("?id=", 400, {"error": "invalid_ticket_id"}),
        ("?id=1.5", 400, {"error": "invalid_ticket_id"}),
        ("?id=999", 404, {"error": "ticket_not_found"}),
        ("?id=-1", 404, {"error": "ticket_not_found"}),
        ("?id=99999999999999999999999", 404, {"error": "ticket_not_found"}),
    ],
)
async def test_ticket_errors(client, query, status, body):
    response = await client.get(f"/api/ticket{query}")
    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize(
    ("canonical", "shown"),
    [
        ("in_progress", "in_progress"),
        ("duplicate", "closed"),
        ("closed", "closed"),
        ("resolved", "closed"),
    ],
)
async def test_status_mapping(client, at, agent, customer, canonical, shown):
    ticket_id = await _open(at, customer, NOW, "Mapped")
    await tickets.set_status(agent, ticket_id, canonical)
    assert (await client.get(f"/api/ticket?id={ticket_id}")).json()["status"] == shown


async def test_internal_comments_never_appear(client, at, agent, customer):
    ticket_id = await _open(at, customer, NOW, "Secretive")
    await comments.add_comment(agent, ticket_id, "INTERNAL-NOTE-123", is_internal=True)
    one = await client.get(f"/api/ticket?id={ticket_id}")
    many = await client.get("/api/tickets?status=open")
    assert one.status_code == many.status_code == 200
    assert "INTERNAL-NOTE-123" not in one.text + many.text
    assert many.json()[0]["description"] == "Secretive text"


# ---------------------------------------------------------------- /api/tickets


async def test_tickets_filters_and_order(client, at, agent, customer):
    a = await _open(at, customer, datetime(2026, 1, 1, tzinfo=UTC), "a")
    b = await _open(at, customer, datetime(2026, 1, 31, 12, tzinfo=UTC), "b")
    c = await _open(at, customer, datetime(2026, 1, 15, tzinfo=UTC), "c")
    d = await _open(at, customer, datetime(2026, 2, 1, tzinfo=UTC), "d")
    await tickets.set_status(agent, c, "in_progress")
    await tickets.set_status(agent, d, "closed")

    async def ids(query: str) -> list[int]:
        response = await client.get(f"/api/tickets{query}")
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)
        return [t["id"] for t in response.json()]

    # both bounds inclusive; date-only means midnight; ordered by created_at ascending
    assert await ids("?since=2026-01-01&until=2026-01-31T12:00:00") == [a, c, b]
    assert await ids("?after=2026-01-01T00:00:01&before=2026-02-01") == [c, b, d]
    assert await ids("?since=2026-01-31T12:00:00%2B00:00") == [b, d]
    assert await ids("?since=2026-01-31T13:00:00%2B01:00") == [b, d]  # offsets honoured
    assert await ids("?since=&after=2026-01-31T12:00:00Z") == [b, d]  # empty since → after
    assert await ids("?until=2026-01-14") == [a]
    assert await ids("?status=open") == [a, b]
    assert await ids("?status=OPEN") == [a, b]
    assert await ids("?status=In_Progress") == [c]
    assert await ids("?status=closed&since=2026-01-01") == [d]
    assert await ids("?status=open&since=2026-01-02&until=2026-01-31") == []


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("", TOO_BROAD),
        ("?status=closed", TOO_BROAD),
        ("?status=Closed", TOO_BROAD),
        ("?status=", TOO_BROAD),
        ("?status=pending", {"error": "Invalid status parameter: pending"}),
        ("?status=reopened&since=2026-01-01", {"error": "Invalid status parameter: reopened"}),
        (
            "?since=last-week",
            {"error": "created_after parameter is not a valid ISO datetime: last-week"},
        ),
        (
            "?after=2026-02-30",
            {"error": "created_after parameter is not a valid ISO datetime: 2026-02-30"},
        ),
        (
            "?until=tomorrow",
            {"error": "created_before parameter is not a valid ISO datetime: tomorrow"},
        ),
        (
            "?before=1/2/2026",
            {"error": "created_before parameter is not a valid ISO datetime: 1/2/2026"},
        ),
        (
            "?since=0001-01-01T00:00:00%2B05:00",
            {
                "error": "created_after parameter is not a valid ISO datetime: 0001-01-01T00:00:00"
                "+05:00"
            },
        ),
    ],
)
async def test_tickets_errors(client, query, body):
    response = await client.get(f"/api/tickets{query}")
    assert response.status_code == 400
    assert response.json() == body


async def test_tickets_answer_is_bounded_and_streamed_in_chunks(client, at, customer, monkeypatch):
    made = [await _open(at, customer, NOW - timedelta(minutes=10 - i), f"t{i}") for i in range(7)]
    monkeypatch.setattr(feed, "CHUNK", 2)  # several keyset chunks, same created_at order
    full = await client.get("/api/tickets?status=open")
    assert [t["id"] for t in full.json()] == made
    assert "x-truncated" not in full.headers
    assert full.headers["x-max-tickets"] == str(feed.MAX_TICKETS)
    monkeypatch.setattr(feed, "MAX_TICKETS", 5)
    cut = await client.get("/api/tickets?status=open")
    assert [t["id"] for t in cut.json()] == made[:5]
    assert cut.headers["x-truncated"] == "true"
    assert cut.headers["x-max-tickets"] == "5"


async def test_tickets_with_equal_created_at_keep_id_order(client, at, customer, monkeypatch):
    made = [await _open(at, customer, NOW, f"same {i}") for i in range(5)]
    monkeypatch.setattr(feed, "CHUNK", 2)
    assert [t["id"] for t in (await client.get("/api/tickets?status=open")).json()] == made


async def test_tickets_list_statements_do_not_grow_with_rows(client, at, customer, count_sql):
    for i in range(3):
        await _open(at, customer, NOW, f"few {i}", tags=["x"])
    with count_sql() as few:
        await client.get("/api/tickets?status=open")
    for i in range(20):
        await _open(at, customer, NOW, f"more {i}", tags=["x", "y"])
    with count_sql() as many:
        await client.get("/api/tickets?status=open")
    assert len(few) == len(many) == 3  # probe, one chunk, its tags


async def test_signed_in_statements_are_pinned(client, at, agent, customer, count_sql, monkeypatch):
    """With a (cached) credential: the probe and two per chunk of the stream."""
    staff = bearer(await token_for(agent))
    await client.get("/api/stats_v2", headers=staff)  # the token's first use writes last_used_at
    await credentials.drain()  # (in the background: done before counting)
    monkeypatch.setattr(feed, "CHUNK", 4)
    for i in range(3):
        await _open(at, customer, NOW, f"few {i}", tags=["x"])
    with count_sql() as few:
        assert (await client.get("/api/tickets?status=open", headers=staff)).status_code == 200
    for i in range(2):
        await _open(at, customer, NOW, f"more {i}", tags=["x", "y"])
    with count_sql() as more:
        assert len((await client.get("/api/tickets?status=open", headers=staff)).json()) == 5
    assert (len(few), len(more)) == (3, 5)
    with count_sql() as stats:
        assert (await client.get("/api/stats_v2", headers=staff)).status_code == 200
    assert len(stats) == 4  # NOW is on a slot boundary: no edges (test_stats.py)


# ---------------------------------------------------------------- access


async def test_private_by_default(settings, at, customer):
    assert Settings.nephthys_public is False
    assert Settings.from_env({}).nephthys_public is False
    await _open(at, customer, NOW, "Hidden")
    default = dataclasses.replace(settings, nephthys_public=Settings.nephthys_public)
    async with _client(build_app(default)) as anonymous:
        response = await anonymous.get("/api/tickets?since=2000-01-01")
    assert (response.status_code, response.json()) == (401, {"error": "unauthorized"})


async def test_a_public_door_still_refuses_a_bad_credential(client, at, customer):
    await _open(at, customer, NOW, "Visible")
    response = await client.get("/api/tickets?status=open", headers=bearer("tg_nope_nope"))
    assert (response.status_code, response.json()) == (401, {"error": "unauthorized"})
    assert len((await client.get("/api/tickets?status=open")).json()) == 1


async def test_public_door_lists_only_public_queues_to_anonymous_readers(
    client, at, admin, agent, customer, other_customer
):
    private_queue = await queues.create_queue(admin, title="Billing", slug="billing")
    shown = await _open(at, customer, NOW, "Public", tags=["faq"])
    in_private = await _open(at, customer, NOW, "Private", queue_id=private_queue.id)
    theirs = await _open(at, other_customer, NOW, "Theirs, public")
    await tickets.assign(admin, shown, agent.id)

    anonymous = (await client.get("/api/tickets?since=2000-01-01")).json()
    assert [t["id"] for t in anonymous] == [shown, theirs]
    # people without their login names: the reference's {id, slack_id}
    assert anonymous[0]["opened_by"] == {"id": customer.id, "slack_id": ""}
    assert anonymous[0]["assigned_to"] == {"id": agent.id, "slack_id": "UAGENT1"}
    assert anonymous[0]["tags"] == ["faq"]
    one = await client.get(f"/api/ticket?id={in_private}")
    assert (one.status_code, one.json()) == (404, {"error": "ticket_not_found"})
    assert (await client.get(f"/api/ticket?id={shown}")).json()["opened_by"] == {
        "id": customer.id,
        "slack_id": "",
    }

    # signed in: the visibility of every other door, whatever the queue
    mine = bearer(await token_for(customer))
    listed = (await client.get("/api/tickets?since=2000-01-01", headers=mine)).json()
    assert [t["id"] for t in listed] == [shown, in_private]
    assert listed[0]["opened_by"]["username"] == "customer"
    staff = bearer(await token_for(agent))
    listed = (await client.get("/api/tickets?since=2000-01-01", headers=staff)).json()
    assert [t["id"] for t in listed] == [shown, in_private, theirs]

    await queues.set_queue_public(admin, private_queue.id, True)
    anonymous = (await client.get("/api/tickets?since=2000-01-01")).json()
    assert [t["id"] for t in anonymous] == [shown, in_private, theirs]


async def test_list_renders_each_ticket_as_the_single_ticket_route(
    client, at, admin, agent, customer, monkeypatch
):
    """Chunked streaming changes nothing in the content: every object of the list is the
    /api/ticket object, times keep their microseconds."""
    made = []
    for i in range(5):
        made.append(
            await _open(at, customer, NOW - timedelta(hours=i, microseconds=i * 1001), f"t{i}")
        )
    await tickets.assign(admin, made[1], agent.id)
    await tickets.set_status(agent, made[2], "closed")
    monkeypatch.setattr(feed, "CHUNK", 2)
    for headers in ({}, bearer(await token_for(agent))):
        listed = await client.get("/api/tickets?since=2000-01-01", headers=headers)
        singles = [
            (await client.get(f"/api/ticket?id={n}", headers=headers)).json()
            for n in reversed(made)
        ]
        assert listed.json() == singles
    assert singles[0]["created_at"] == "2026-03-10T07:59:59.995996+00:00"
    empty = await client.get("/api/tickets?since=2100-01-01")
    assert (empty.status_code, empty.content) == (200, b"[]")


@pytest.mark.parametrize(
    "path",
    [
        "/api/stats_v2",
        "/api/stats",
        "/api/stats/range",
        "/api/tickets?status=open",
        "/api/ticket?id=1",
        "/api/user?id=UAGENT1",
    ],
)
async def test_private_mode_needs_a_credential(private, at, customer, path):
    await _open(at, customer, NOW, "Hidden")
    anonymous = await private.get(path)
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "unauthorized"})
    wrong = await private.get(path, headers=bearer("tg_nope_nope"))
    assert (wrong.status_code, wrong.json()) == (401, {"error": "unauthorized"})
    basic = await private.get(path, auth=("customer", "wrong password"))
    assert (basic.status_code, basic.json()) == (401, {"error": "unauthorized"})


async def test_private_mode_customers_see_only_their_tickets(
    private, at, agent, customer, other_customer
):
    mine = await _open(at, customer, NOW, "Mine")
    named = await _open(at, other_customer, NOW, "Named", client_emails=["customer@example.com"])
    theirs = await _open(at, other_customer, NOW, "Theirs")
    token = await token_for(customer)
    listed = await private.get("/api/tickets?status=open", headers=bearer(token))
    assert [t["id"] for t in listed.json()] == [mine, named]
    hidden = await private.get(f"/api/ticket?id={theirs}", headers=bearer(token))
    assert (hidden.status_code, hidden.json()) == (404, {"error": "ticket_not_found"})
    staff = await private.get("/api/tickets?status=open", headers=bearer(await token_for(agent)))
    assert [t["id"] for t in staff.json()] == [mine, named, theirs]
    stats = await private.get("/api/stats_v2", headers=bearer(token))
    assert stats.status_code == 200
    assert stats.json()["all_time"]["tickets_total"] == 3  # aggregates cover every ticket


async def test_other_methods_and_paths_answer_in_nephthys_format(client):
    post = await client.post("/api/tickets")
    assert (post.status_code, post.json()) == (405, {"error": "method_not_allowed"})
    assert post.headers["allow"] == "GET, HEAD"
    unknown = await client.get("/api/nope")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "not_found"})


# ---------------------------------------------------------------- across doors


async def test_ticket_made_and_closed_through_graphql_moves_nephthys(client, agent, customer):
    before = (await client.get("/api/stats_v2")).json()
    created = await gql(
        client,
        'mutation { createTicket(input: {title: "From GraphQL", description: "hi"})'
        " { ticket { number } } }",
        await token_for(customer),
    )
    number = created["data"]["createTicket"]["ticket"]["number"]
    opened = (await client.get("/api/stats_v2")).json()
    assert opened["all_time"]["tickets_open"] == before["all_time"]["tickets_open"] + 1
    assert opened["past_24h"]["new_tickets_total"] == 1
    assert opened["all_time"]["oldest_unanswered_ticket"]["id"] == number
    closed = await gql(
        client,
        "mutation ($id: ID!) { setTicketStatus(input: {id: $id, status: CLOSED})"
        " { ticket { status } } }",
        await token_for(agent),
        id=str(number),
    )
    assert "errors" not in closed, closed
    staff = bearer(await token_for(agent))  # the ticket is in no queue: not public
    listed = (await client.get("/api/tickets?status=closed&since=2000-01-01", headers=staff)).json()
    assert [(t["id"], t["title"], t["status"]) for t in listed] == [
        (number, "From GraphQL", "closed")
    ]
    assert listed[0]["closed_by"] == {"id": agent.id, "slack_id": "UAGENT1", "username": "agent"}
    after = (await client.get("/api/stats_v2")).json()
    assert after["all_time"]["tickets_closed"] == 1
    assert after["all_time"]["tickets_open"] == 0
    assert after["all_time"]["oldest_unanswered_ticket"] is None
    assert after["past_24h"]["closed_today"] == 1
    assert after["past_24h"]["helpers_leaderboard"] == [
        {"id": agent.id, "slack_id": "UAGENT1", "count": 1}
    ]


async def test_helpers_without_slack_id_show_an_empty_string(client, at, customer):
    helper = await make_user("nosl", "agent")
    ticket_id = await _open(at, customer, NOW, "Closed by nosl")
    await tickets.set_status(helper, ticket_id, "closed")
    board = (await client.get("/api/stats_v2")).json()["all_time"]["helpers_leaderboard"]
    assert board == [{"id": helper.id, "slack_id": "", "count": 1}]


async def test_user_id_with_a_nul_is_not_found(client, agent):
    """Found by fuzzing: a NUL in ?id= was a 500 on PostgreSQL (it cannot compare one)."""
    response = await client.get("/api/user?id=UAGENT1%00")
    assert (response.status_code, response.json()) == (404, {"error": "user_not_found"})


async def test_openapi_document_lists_every_route(client):
    doc = (await client.get("/api/openapi.json")).json()
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "/api"}]
    assert {path: set(ops) for path, ops in doc["paths"].items()} == {
        path: {"get"}
        for path in (
            "/stats_v2",
            "/stats",
            "/stats/range",
            "/tickets",
            "/ticket",
            "/user",
            "/openapi.json",
        )
    }
    assert all(op["get"]["operationId"] for op in doc["paths"].values())
