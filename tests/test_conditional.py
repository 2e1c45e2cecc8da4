"""Conditional GETs: an ETag on every GET answer, 304 while nothing changed, never stale."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from models import ApiToken
from resolvers import queues, reads, tickets, tokens
from resolvers.permissions import SYSTEM
from tests.helpers import ON_POSTGRES, bearer, token_for

pytestmark = pytest.mark.alone  # 304s: the data version must not move (tests/conftest.py)

PAGE = "{ tickets(first: 100) { edges { node { number title openedBy { username } } } } }"


@pytest.fixture
async def some_tickets(customer):
    return [await tickets.create_ticket(customer, title=f"t{n}") for n in range(3)]


async def _tagged(client, url, headers, **params):
    """The ETag of a GET (asked twice: a token's first use records its last_used_at)."""
    await client.get(url, headers=headers, params=params)
    response = await client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-cache"
    return response.headers["etag"]


async def _revalidated(client, url, headers, count_sql=None, **params):
    """(ETag, answer to If-None-Match with it, the SQL that answer ran). On PostgreSQL the
    data version is the cluster's snapshot, which other databases' writes (parallel test runs,
    autovacuum) also move; so this tries up to ten times before the answer counts."""
    statements: list[str] = []
    for _ in range(10):
        etag = await _tagged(client, url, headers, **params)
        conditional = {**headers, "If-None-Match": etag}
        if count_sql is None:
            again = await client.get(url, params=params, headers=conditional)
        else:
            with count_sql() as statements:
                again = await client.get(url, params=params, headers=conditional)
        if again.status_code == 304:
            break
    return etag, again, statements


async def test_unchanged_store_answers_304_then_a_write_from_another_door_changes_it(
    client, agent, customer, some_tickets, count_sql
):
    headers = bearer(await token_for(agent))
    etag, again, statements = await _revalidated(client, "/graphql", headers, count_sql, query=PAGE)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["x-request-id"]
    assert not [s for s in statements if "tickets" in s]  # the page was not built

    queue = await queues.create_queue(SYSTEM, title="Q", slug="q")
    created = await client.post(
        "/helpdesk/api/tickets/",
        json={"queue": queue.id, "title": "new through helpdesk", "description": "d"},
        headers={"Authorization": headers["Authorization"].replace("Bearer", "Token")},
    )
    assert created.status_code == 201, created.text
    fresh = await client.get(
        "/graphql", params={"query": PAGE}, headers={**headers, "If-None-Match": etag}
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    titles = [e["node"]["title"] for e in fresh.json()["data"]["tickets"]["edges"]]
    assert "new through helpdesk" in titles


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/helpdesk/api/tickets/", {"page_size": "100"}),
        ("/support/tickets", {"items_per_page": "100"}),
        ("/api/v1/tickets", {"per_page": "100"}),
        ("/api/stats_v2", {}),
    ],
)
async def test_every_door_tags_its_reads(client, agent, some_tickets, url, params):
    token = await token_for(agent)
    headers = {"Authorization": f"Token {token}", "X-Token": token}
    if url.startswith("/api/v1"):
        headers = bearer(token)
    _, again, _ = await _revalidated(client, url, headers, **params)
    assert again.status_code == 304


async def test_a_tag_is_only_good_for_its_caller_and_request(client, agent, admin, some_tickets):
    mine, theirs = bearer(await token_for(agent)), bearer(await token_for(admin))
    etag = await _tagged(client, "/graphql", mine, query=PAGE)
    other_caller = await client.get(
        "/graphql", params={"query": PAGE}, headers={**theirs, "If-None-Match": etag}
    )
    assert other_caller.status_code == 200
    other_request = await client.get(
        "/graphql",
        params={"query": PAGE.replace("100", "10")},
        headers={**mine, "If-None-Match": etag},
    )
    assert other_request.status_code == 200


async def test_a_refused_credential_gets_its_error_not_304(client, agent, some_tickets):
    token = await token_for(agent)
    url, headers = "/helpdesk/api/tickets/", {"Authorization": f"Token {token}"}
    etag = await _tagged(client, url, headers)

    await tokens.revoke_token(agent, (await ApiToken.get(key_id=token.split("_")[1])).id)
    refused = await client.get(url, headers={**headers, "If-None-Match": etag})
    unconditional = await client.get(url, headers=headers)
    assert refused.status_code == unconditional.status_code == 403  # DRF's answer
    assert refused.json() == unconditional.json()


async def test_errors_and_writes_carry_no_tag(client, agent):
    missing = await client.get("/helpdesk/api/tickets/999/", headers=bearer(await token_for(agent)))
    assert missing.status_code == 404
    assert "etag" not in missing.headers
    anonymous = await client.get("/graphql", params={"query": PAGE})
    assert "etag" in anonymous.headers  # GraphQL errors answer 200; the tag covers them too


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's data_version")
async def test_a_write_by_another_process_shows_from_the_next_turn_of_the_loop(some_tickets):
    """The data version is read once per turn of the event loop: the requests of one turn
    arrived by its poll for I/O, before the read, so none of them can follow a write that read
    misses; a request arriving later (the next turn) sees every write committed before it."""
    before = await reads.data_version()
    path = reads._current().client.filename
    with sqlite3.connect(path) as other:  # another server process's write, committed
        other.execute("UPDATE tickets SET title = 'elsewhere' WHERE id = ?", (some_tickets[0].id,))
    assert await reads.data_version() == before  # (the same turn: its requests came before)
    await asyncio.sleep(0)  # the next turn: what its poll brings came after the commit
    assert await reads.data_version() != before
