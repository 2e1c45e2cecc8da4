"""Issue 14 High 3 and 4: GraphQL cost and size limits, refused before anything runs, reported
on every answer; a per-caller cost budget; a time limit."""

from __future__ import annotations

import asyncio
import threading

from resolvers import reads, tickets
from schema.compiled import THREAD_RENDER_COST, CompiledQueries, run
from tests.helpers import bearer, gql, token_for

PAGE = "tickets(first: 100) { edges { node { title comments(first: 100) { totalCount } } } }"


async def test_a_costly_document_is_refused_before_it_runs(client, agent, count_sql):
    token = await token_for(agent)
    await gql(client, "{ viewer { id } }", token)  # the token's first use is recorded
    document = "{ " + " ".join(f"a{n}: {PAGE}" for n in range(30)) + " }"
    with count_sql() as statements:
        body = await gql(client, document, token)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": 30 * (100 + 100 * 100),
        "maximum": 25_000,
    }
    assert not [s for s in statements if "tickets" in s]


async def test_cost_counts_variables_and_is_reported(client, agent, customer):
    await tickets.create_ticket(customer, title="one")
    token = await token_for(agent)
    compiled = await gql(
        client,
        "query($n: Int) { tickets(first: $n) { edges { node { title comments(first: 3)"
        " { totalCount } } } } }",
        token,
        n=7,
    )
    assert compiled["extensions"]["cost"]["requested"] == 7 + 7 * 3
    assert compiled["extensions"]["cost"]["maximum"] == 25_000
    standard = await gql(  # `history` is answered by Strawberry's executor
        client,
        "{ tickets(first: 4) { edges { node { history(first: 20) { totalCount } } } } }",
        token,
    )
    assert standard["extensions"]["cost"]["requested"] == 4 + 4 * 20
    assert standard["data"]["tickets"]["edges"][0]["node"]["history"]["totalCount"] >= 1
    shortcut = await gql(  # `nodes` costs as `edges { node }` does
        client, "{ tickets(first: 9) { nodes { comments(last: 5) { totalCount } } } }", token
    )
    assert shortcut["extensions"]["cost"]["requested"] == 9 + 9 * 5


async def test_each_caller_has_a_cost_budget_per_minute(client_with, agent, admin):
    async with client_with(graphql_cost_per_minute=250) as client:
        token = await token_for(agent)
        answers = [
            await gql(client, "{ tickets(first: 100) { totalCount } }", token) for _ in range(3)
        ]
        assert [a["extensions"]["cost"]["remaining"] for a in answers[:2]] == [150, 50]
        refused = answers[2]["errors"][0]
        assert refused["extensions"]["code"] == "RATE_LIMITED"
        assert refused["extensions"]["retryAfter"] >= 1
        other = await gql(client, "{ tickets(first: 100) { totalCount } }", await token_for(admin))
        assert "errors" not in other  # another caller's budget is their own


async def test_documents_and_bodies_are_bounded_before_parsing(client, app, agent):
    headers = bearer(await token_for(agent))
    long_document = "{ viewer { id } }" + " " * app.state.settings.graphql_max_document_chars
    response = await client.post("/graphql", json={"query": long_document}, headers=headers)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    huge_literal = (
        '{ tickets(first: 1, filter: {search: "' + "x" * 20 * 1024 * 1024 + '"}) { totalCount } }'
    )
    response = await client.post("/graphql", json={"query": huge_literal}, headers=headers)
    assert response.status_code == 413


async def test_a_query_past_its_time_limit_is_cut_off(client_with, agent, monkeypatch):
    async def stuck(read):
        await asyncio.sleep(30)

    token = await token_for(agent)
    async with client_with(graphql_timeout_seconds=0.05) as client:
        await gql(client, "{ viewer { id } }", token)  # (the credential is read, and cached)
        monkeypatch.setattr(reads, "run", stuck)
        body = await gql(client, "{ tickets(first: 20) { totalCount } }", token)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TIMEOUT"
    assert body["data"] is None


async def test_history_of_a_page_is_batched(client, agent, customer, count_sql):
    """`history` on every ticket of a page: the same statements for 5 tickets as for 50."""
    for n in range(50):
        await tickets.create_ticket(customer, title=f"t{n}")
    token = await token_for(agent)
    query = """query($n: Int) { tickets(first: $n) { edges { node { number
      history(first: 3) { totalCount edges { node { kind actor { username } } } } } } } }"""
    counts = []
    for size in (5, 50):
        await gql(client, query, token, n=size)
        with count_sql() as statements:
            body = await gql(client, query, token, n=size)
        edges = body["data"]["tickets"]["edges"]
        assert len(edges) == size
        assert all(e["node"]["history"]["totalCount"] == 1 for e in edges)
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_a_document_first_seen_is_checked_off_the_event_loop(client, agent, monkeypatch):
    """Parsing, validating and costing a new document (thirty aliases of a big page: ~170 ms)
    would otherwise stall every other request; an attacker can send a new one each time."""
    checked_on = []
    real = CompiledQueries._prepare

    def prepare(self, query, operation_name):
        checked_on.append(threading.current_thread())
        return real(self, query, operation_name)

    monkeypatch.setattr(CompiledQueries, "_prepare", prepare)
    token = await token_for(agent)
    body = await gql(client, "{ viewer { username } }", token)
    assert body["data"] == {"viewer": {"username": "agent"}}
    assert checked_on and checked_on[0] is not threading.current_thread()


async def test_a_costly_answer_is_rendered_off_the_event_loop(client, agent, monkeypatch):
    """Tens of thousands of objects take 10-20 ms of Python to render: a document costing
    more than THREAD_RENDER_COST renders in a thread, a cheap one on the loop (no hand-off)."""
    rendered_on = []
    real = run.renderer

    def recording(plan):
        render = real(plan)

        def rendered(*args):
            rendered_on.append(threading.current_thread())
            return render(*args)

        return rendered

    monkeypatch.setattr(run, "renderer", recording)
    token = await token_for(agent)
    await tickets.create_ticket(agent, title="one")
    costly = (
        "{ tickets(first: 100) { edges { node { title comments(first: 20) { totalCount } } } } }"
    )
    body = await gql(client, costly, token)
    assert body["extensions"]["cost"]["requested"] > THREAD_RENDER_COST
    assert body["data"]["tickets"]["edges"][0]["node"]["title"] == "one"
    assert rendered_on and rendered_on[-1] is not threading.current_thread()
    body = await gql(client, "{ tickets(first: 10) { edges { node { title } } } }", token)
    assert body["data"]["tickets"]["edges"][0]["node"]["title"] == "one"
    assert rendered_on[-1] is threading.current_thread()
