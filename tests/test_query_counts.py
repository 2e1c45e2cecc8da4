"""The SQL statements of each door's create, get, list and comment, pinned exactly in
tests/query_counts.json (per database: the statement kinds in order, credential lookups left
out as they are cached). A change that adds a statement fails here; when it is meant, rewrite
the baseline with TICKETGATE_REWRITE_QUERY_COUNTS=1 (once per database) and commit it.

Deliberate switches: GraphQL's create gained one SELECT (issue 12): the compiled executor reads
the created ticket back on the lean path (a keyed read on the reader pool, after the commit)
instead of resolving it field by field through Strawberry, which halves the create's CPU."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from resolvers import comments, credentials, queues, tickets
from resolvers.permissions import SYSTEM
from tests.doors.adapters import DOORS
from tests.helpers import ON_POSTGRES

BASELINE = Path(__file__).with_name("query_counts.json")
REWRITE = os.environ.get("TICKETGATE_REWRITE_QUERY_COUNTS") == "1"
DATABASE = "postgres" if ON_POSTGRES else "sqlite"


def _kinds(statements: list[str]) -> list[str]:
    return [s.split()[0].upper() for s in statements if "api_tokens" not in s]


@pytest.fixture(params=DOORS, ids=lambda d: d.name)
async def door(request, client):
    return request.param(client)


async def test_statements_per_operation_match_the_baseline(door, agent, customer, count_sql):
    await queues.create_queue(SYSTEM, title="Desk", slug="desk")
    ticket = await tickets.create_ticket(customer, title="seen", tags=["a"])
    await comments.add_comment(agent, ticket.id, "reply")
    who = await door.act_as(agent)
    await door.get(who, ticket.id)  # (a credential's first use writes, in the background)
    await credentials.drain()
    found: dict[str, list[str]] = {}

    async def measure(name: str, call) -> None:
        with count_sql() as statements:
            response = await call
        assert response is None or response.status_code < 400, (name, response.text)
        await credentials.drain()
        found[name] = _kinds(statements)

    if door.can_write:
        await measure("create", door.create(who, "counted"))
    await measure("get", door.get(who, ticket.id))
    if hasattr(door, "list_ids"):
        await measure("list", _none(door.list_ids(who)))
    if door.can_write:
        await measure("comment", door.comment(who, ticket.id, "counted reply"))
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if REWRITE:
        baseline.setdefault(DATABASE, {})[door.name] = found
        BASELINE.write_text(json.dumps(baseline, indent=1, sort_keys=True) + "\n")
    assert found == baseline.get(DATABASE, {}).get(door.name), json.dumps(found)


async def _none(call) -> None:
    await call
