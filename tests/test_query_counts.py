"""The SQL statements of each door's create, get, list and comment, pinned exactly in
tests/query_counts.json (per database: the statement kinds in order, credential lookups left
out as they are cached). A change that adds a statement fails here; when it is meant, rewrite
the baseline with TICKETGATE_REWRITE_QUERY_COUNTS=1 (once per database) and commit it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from models import Event, WebhookDelivery
from resolvers import (
    comments,
    credentials,
    queues,
    reads,
    tickets,
    users,
    views,
    webhook_worker,
    webhooks,
)
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


def _check(name: str, found: dict[str, list[str]]) -> None:
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if REWRITE:
        baseline.setdefault(DATABASE, {})[name] = found
        BASELINE.write_text(json.dumps(baseline, indent=1, sort_keys=True) + "\n")
    assert found == baseline.get(DATABASE, {}).get(name), json.dumps(found)


async def test_ticket_views_cost_the_same_for_one_ticket_and_a_page(agent, customer, count_sql):
    """`views.related` with every part: one statement per part, whatever the page size."""
    desk = await queues.create_queue(SYSTEM, title="Desk", slug="desk")
    made = [
        await tickets.create_ticket(
            customer, title=f"t{i}", tags=["a", "b"], client_emails=["c@example.com"]
        )
        for i in range(20)
    ]
    for ticket in made:
        await comments.add_comment(agent, ticket.id, "reply")
    found = {}
    for size in (1, 20):
        ids = [t.id for t in made[:size]]
        read = views.related(
            ids,
            tags=True,
            contacts=True,
            unread=True,
            people={customer.id, agent.id},
            queues={desk.id},
            queue_columns=("title",),
        )
        with count_sql() as statements:
            rel = await reads.run(read)
        assert set(rel.unread) == set(ids) and rel.tags[ids[-1]] == ["a", "b"]
        assert rel.people[agent.id].name == agent.name and rel.queues == {desk.id: ("Desk",)}
        found[f"page of {size}"] = _kinds(statements)
    assert found["page of 1"] == found["page of 20"]
    _check("ticket_views", found)


async def test_webhook_payloads_read_a_fixed_number_of_statements(
    client, admin, customer, count_sql
):
    """Each delivered kind's body is read with `views.related` in at most four statements."""
    await webhooks.create_webhook(
        admin, url="http://127.0.0.1/hook", events=list(webhooks.EVENTS), allow_private=True
    )
    await users.create_user(admin, username="newbie", email="newbie@example.com", role="agent")
    ticket = await tickets.create_ticket(customer, title="hooked", tags=["a"])
    await tickets.update_ticket(admin, ticket.id, priority=1)
    await tickets.update_ticket(admin, ticket.id, status="in_progress")
    await comments.add_comment(admin, ticket.id, "reply")
    found = {}
    sent = await WebhookDelivery.all().values_list("event_id", flat=True)
    for event in await Event.filter(id__in=list(sent)).order_by("id"):
        with count_sql() as statements:
            body = await webhook_worker.payload(event, admin)
        assert body["event"] == webhooks.DELIVERED_AS.get(event.kind, event.kind)
        found[event.kind] = _kinds(statements)
    assert set(found) >= {"ticket.created", "ticket.updated", "comment.created"}
    _check("webhook_payload", found)
