"""GraphQL over HTTP for browsers: application/graphql-response+json, persisted queries,
GraphiQL's page and assets, the GraphiQL and introspection switches."""

from __future__ import annotations

import hashlib
import json
import re

import orjson
import pytest

from resolvers import credentials, tickets
from tests.helpers import bearer, token_for
from tests.test_conditional import _revalidated

GRAPHQL_RESPONSE = "application/graphql-response+json"
TICKETS = "{ tickets(first: 5) { totalCount edges { node { number title } } } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


# ---------------------------------------------------------------- application/graphql-response+json


async def test_graphql_response_media_type_and_status_codes(client, agent):
    token = await token_for(agent)
    await tickets.create_ticket(agent, title="Printer")
    accept = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9", **bearer(token)}

    ok = await client.post("/graphql", json={"query": TICKETS}, headers=accept)  # compiled
    assert ok.status_code == 200
    assert ok.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert ok.json()["data"]["tickets"]["totalCount"] == 1

    cases = {
        "{ tickets(": "GRAPHQL_PARSE_FAILED",  # parsing
        "{ nope }": "GRAPHQL_VALIDATION_FAILED",  # validation
    }
    for query in cases:
        refused = await client.post("/graphql", json={"query": query}, headers=accept)
        assert refused.status_code == 400, query
        assert refused.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        assert "data" not in refused.json() and refused.json()["errors"]

    variables = await client.post(
        "/graphql",
        json={"query": "query($n: Int!) { tickets(first: $n) { totalCount } }", "variables": {}},
        headers=accept,
    )
    assert variables.status_code == 400 and "data" not in variables.json()

    field_error = await client.post(  # a field error is an answer: 200 with data null
        "/graphql",
        json={"query": "{ tickets(first: 1) { totalCount } }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert field_error.status_code == 200
    assert field_error.json()["data"] is None
    assert field_error.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_plain_json_clients_keep_status_200(client):
    answer = await client.post("/graphql", json={"query": "{ nope }"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["data"] is None


@pytest.mark.parametrize("extensions", ['"text"', "1", "true", "[]"])
async def test_extensions_must_be_an_object(client, extensions):
    body = '{"query": "{ __typename }", "extensions": ' + extensions + "}"
    answer = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# ---------------------------------------------------------------- persisted queries


async def test_automatic_persisted_query_over_post(client, agent, count_sql):
    token = await token_for(agent)
    await tickets.create_ticket(agent, title="Persisted")
    await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=bearer(token))
    await credentials.drain()  # the token's first use is recorded in the background

    miss = await client.post(
        "/graphql", json={"extensions": persisted(TICKETS)}, headers=bearer(token)
    )
    assert miss.status_code == 200
    assert miss.json()["errors"] == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    with count_sql() as plain_statements:
        plain = await client.post("/graphql", json={"query": TICKETS}, headers=bearer(token))
    registered = await client.post(
        "/graphql", json={"query": TICKETS, "extensions": persisted(TICKETS)}, headers=bearer(token)
    )
    with count_sql() as persisted_statements:
        by_hash = await client.post(
            "/graphql", json={"extensions": persisted(TICKETS)}, headers=bearer(token)
        )
    assert plain.json()["data"] == registered.json()["data"] == by_hash.json()["data"]
    assert by_hash.json()["data"]["tickets"]["edges"][0]["node"]["title"] == "Persisted"
    # the same compiled plan answers: the same statements as the plain text
    assert len(persisted_statements) == len(plain_statements)


async def test_persisted_mutations_and_uncompiled_documents_reach_strawberry(client, agent):
    token = await token_for(agent)
    create = 'mutation { createTicket(input: {title: "By hash"}) { ticket { title } } }'
    first = await client.post(
        "/graphql", json={"query": create, "extensions": persisted(create)}, headers=bearer(token)
    )
    again = await client.post(
        "/graphql", json={"extensions": persisted(create)}, headers=bearer(token)
    )
    assert (
        first.json()["data"]
        == again.json()["data"]
        == {"createTicket": {"ticket": {"title": "By hash"}}}
    )
    history = "{ tickets(first: 1) { edges { node { history(first: 5) { totalCount } } } } }"
    await client.post(
        "/graphql", json={"query": history, "extensions": persisted(history)}, headers=bearer(token)
    )
    by_get = await client.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(history))},
        headers=bearer(token),
    )
    assert by_get.status_code == 200, by_get.text
    assert by_get.json()["data"]["tickets"]["edges"][0]["node"]["history"]["totalCount"] == 1


async def test_a_hash_that_does_not_match_the_text_is_refused(client):
    body = {"query": "{ __typename }", "extensions": persisted("{ viewer { id } }")}
    answer = await client.post("/graphql", json=body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == "provided sha does not match query"


@pytest.mark.alone  # asserts a 304 (tests/conftest.py)
async def test_persisted_get_carries_etags(client, agent):
    token = await token_for(agent)
    params = {"extensions": json.dumps(persisted(TICKETS))}
    miss = await client.get("/graphql", params=params, headers=bearer(token))
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert miss.headers["cache-control"] == "no-store"
    await client.get("/graphql", params={**params, "query": TICKETS}, headers=bearer(token))
    await credentials.drain()  # the token's last use is written in the background
    found = await client.get(  # a client revalidating the miss gets the answer, not a 304
        "/graphql", params=params, headers={"If-None-Match": miss.headers["etag"], **bearer(token)}
    )
    assert found.status_code == 200
    assert found.json()["data"]["tickets"]["totalCount"] == 0
    _, again, _ = await _revalidated(client, "/graphql", bearer(token), **params)
    assert again.status_code == 304


async def test_trusted_documents_only(client_with, agent, tmp_path):
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_bytes(orjson.dumps({sha(TICKETS): TICKETS}))
    token = await token_for(agent)
    async with client_with(graphql_trusted_documents=str(manifest)) as c:
        by_hash = await c.post(
            "/graphql", json={"extensions": persisted(TICKETS)}, headers=bearer(token)
        )
        assert by_hash.json()["data"]["tickets"]["totalCount"] == 0
        as_text = await c.post("/graphql", json={"query": TICKETS}, headers=bearer(token))
        assert as_text.json()["data"] == by_hash.json()["data"]
        for body in (
            {"query": "{ viewer { id } }"},
            {"extensions": persisted("{ viewer { id } }")},
        ):
            refused = await c.post("/graphql", json=body, headers=bearer(token))
            assert refused.status_code == 400
            assert (
                refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
            )
        form = await c.post("/graphql", data={"query": "{ viewer { id } }"}, headers=bearer(token))
        assert form.status_code == 400


def test_a_manifest_with_a_wrong_hash_is_refused_at_start(tmp_path):
    from schema.persisted import PersistedQueries

    manifest = tmp_path / "m.json"
    manifest.write_bytes(orjson.dumps({"0" * 64: TICKETS}))
    with pytest.raises(ValueError, match="not the sha256"):
        PersistedQueries(10, str(manifest))
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha(TICKETS), "name": "T", "type": "query", "body": TICKETS}],
    }
    manifest.write_bytes(orjson.dumps(apollo))
    assert PersistedQueries(10, str(manifest)).trusted == {sha(TICKETS): TICKETS}


# ---------------------------------------------------------------- GraphiQL and introspection


async def test_graphiql_page_uses_only_local_assets_under_a_strict_csp(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "<script>" not in page.text  # no inline script
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/graphql/assets/") or s == "data:," for s in sources)
    for source in sources[1:]:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")
    for licence in (
        "graphiql-3.8.3/LICENSE",
        "react-18.3.1/LICENSE",
        "graphql-ws-5.16.2/LICENSE.md",
    ):
        assert "MIT" in (await client.get(f"/graphql/assets/{licence}")).text
    script = (await client.get("/graphql/assets/ticketgate-graphiql.js")).text
    assert "shouldPersistHeaders: false" in script


async def test_graphiql_and_introspection_switches(client_with):
    introspect = {"query": "{ __schema { queryType { name } } }"}
    async with client_with(graphiql_enabled=False, introspection_enabled=False) as c:
        assert (await c.get("/graphql", headers={"Accept": "text/html"})).status_code == 404
        assert (await c.get("/graphql/assets/ticketgate-graphiql.js")).status_code == 404
        refused = (await c.post("/graphql", json=introspect)).json()
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        typename = (await c.post("/graphql", json={"query": "{ __typename }"})).json()
        assert typename["data"] == {"__typename": "Query"}
    async with client_with() as c:
        schema = (await c.post("/graphql", json=introspect)).json()
        assert schema["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_automatic_persisted_queries_can_be_turned_off(client_with):
    async with client_with(graphql_persisted_queries=0) as c:
        body = {"query": "{ __typename }", "extensions": persisted("{ __typename }")}
        answer = (await c.post("/graphql", json=body)).json()
        assert answer["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
        plain = (await c.post("/graphql", json={"query": "{ __typename }"})).json()
        assert plain["data"] == {"__typename": "Query"}
