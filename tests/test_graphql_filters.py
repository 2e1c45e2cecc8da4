"""GraphQL ticket filters over HTTP: combinators, comparisons, lists, "unassigned", full text."""

from datetime import UTC, datetime, timedelta

import pytest

from resolvers import queues, tickets
from resolvers.permissions import SYSTEM
from tests.helpers import gql, make_user, token_for

QUERY = """query($f: TicketFilterInput) {
  tickets(first: 100, filter: $f, orderBy: {field: ID, direction: ASC}) {
    totalCount nodes { number } } }"""


@pytest.fixture
async def desk(agent, customer):
    """Six tickets: queues, tags, priorities, assignees and statuses spread over them."""
    other_agent = await make_user("agent2", "agent")
    billing = await queues.create_queue(SYSTEM, title="Billing", slug="billing")
    sales = await queues.create_queue(SYSTEM, title="Sales", slug="sales")
    misc = await queues.create_queue(SYSTEM, title="Misc", slug="misc")
    specs = [
        ("VPN down at the office", billing, ["net"], 1, agent),
        ("Printer jammed", billing, ["hw", "net"], 2, None),
        ("VPN slow at home", sales, ["net"], 3, other_agent),
        ("Invoice missing", sales, [], 4, None),
        ("Reprint the invoice", misc, ["hw"], 5, agent),
        ("Laptop broken", misc, [], 3, None),
    ]
    made = {}
    for n, (title, queue, tags, priority, assignee) in enumerate(specs, start=1):
        ticket = await tickets.create_ticket(
            customer, title=title, description="", tags=tags, queue_id=queue.id
        )
        await tickets.update_ticket(agent, ticket.id, priority=priority)
        if assignee is not None:
            await tickets.assign(agent, ticket.id, assignee.id)
        made[n] = ticket
    await tickets.set_status(agent, made[2].id, "closed")
    await tickets.set_status(agent, made[5].id, "resolved")
    return {"billing": billing, "sales": sales, "agent": agent, "agent2": other_agent}


async def _numbers(client, token, filt) -> list[int]:
    body = await gql(client, QUERY, token, f=filt)
    assert "errors" not in body, body
    page = body["data"]["tickets"]
    assert page["totalCount"] == len(page["nodes"])
    return [n["number"] for n in page["nodes"]]


async def test_lists_unassigned_and_comparisons(client, desk):
    token = await token_for(desk["agent"])
    billing, sales = str(desk["billing"].id), str(desk["sales"].id)
    assert await _numbers(client, token, {"assignedTo": None}) == [2, 4, 6]
    assert await _numbers(client, token, {"queues": [billing, sales]}) == [1, 2, 3, 4]
    assignees = [str(desk["agent"].id), str(desk["agent2"].id)]
    assert await _numbers(client, token, {"assignees": assignees}) == [1, 3, 5]
    assert await _numbers(client, token, {"tags": ["hw", "net"]}) == [1, 2, 3, 5]
    assert await _numbers(client, token, {"priorityRange": {"gte": 2, "lt": 4}}) == [2, 3, 6]
    assert await _numbers(client, token, {"closedAt": {"gte": "2000-01-01T00:00:00Z"}}) == [2, 5]
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await _numbers(client, token, {"createdAt": {"lt": later}}) == [1, 2, 3, 4, 5, 6]
    assert await _numbers(client, token, {"createdAt": {"gt": later}}) == []


async def test_and_or_not(client, desk):
    token = await token_for(desk["agent"])
    both_tags = {"and": [{"tag": "hw"}, {"tag": "net"}]}
    assert await _numbers(client, token, both_tags) == [2]
    either = {"or": [{"status": ["CLOSED"]}, {"priority": [1]}]}
    assert await _numbers(client, token, either) == [1, 2]
    # `not` keeps the tickets the inner filter cannot judge (no assignee at all):
    assert await _numbers(client, token, {"not": {"assignedTo": str(desk["agent"].id)}}) == [
        2,
        3,
        4,
        6,
    ]
    nested = {
        "queue": str(desk["sales"].id),
        "or": [{"assignedTo": None}, {"not": {"priorityRange": {"lte": 3}}}],
    }
    assert await _numbers(client, token, nested) == [4]
    assert await _numbers(client, token, {"or": [{"tag": "hw"}, {}]}) == [1, 2, 3, 4, 5, 6]
    assert await _numbers(client, token, {"not": {}}) == []


async def test_filters_never_widen_what_a_customer_sees(client, desk, other_customer):
    await tickets.create_ticket(other_customer, title="VPN mine")
    token = await token_for(other_customer)
    assert await _numbers(client, token, {"or": [{}, {"search": "vpn"}]}) == [7]
    assert await _numbers(client, token, {"not": {"status": ["OPEN"]}}) == []


async def test_full_text_search_uses_the_index_and_follows_changes(client, desk, agent, count_sql):
    token = await token_for(agent)
    assert await _numbers(client, token, {"search": "vpn"}) == [1, 3]
    assert await _numbers(client, token, {"search": "VPN office"}) == [1]  # every word
    assert await _numbers(client, token, {"search": "print"}) == [2]  # a prefix, not "Reprint"
    assert await _numbers(client, token, {"search": "invoice"}) == [4, 5]
    assert await _numbers(client, token, {"search": "  -- "}) == [1, 2, 3, 4, 5, 6]
    with count_sql() as statements:
        await _numbers(client, token, {"search": "vpn"})
    assert any("tickets_fts" in s or "to_tsvector" in s for s in statements)
    await tickets.update_ticket(agent, 4, title="Refund requested", description="about a VPN")
    await tickets.delete_ticket(agent, 1)
    assert await _numbers(client, token, {"search": "vpn"}) == [3, 4]
    assert await _numbers(client, token, {"search": "invoice"}) == [5]
    made = await tickets.create_ticket(agent, title="Café déjà vu", description="naïve")
    assert await _numbers(client, token, {"search": "café"}) == [made.id]


@pytest.mark.parametrize(
    ("filt", "field"),
    [
        ({"tags": ["x"] * 51}, "filter.tags"),
        ({"queues": ["nope"]}, "filter.queues"),
        ({"or": [{}] * 11}, "filter.or"),
        ({"not": {"not": {"not": {"not": {"not": {}}}}}}, "filter.not.not.not.not.not"),
        ({"and": [{"assignees": ["Queue:1"]}]}, "filter.and.assignees"),
    ],
)
async def test_bad_filters_are_bad_input(client, agent, filt, field):
    body = await gql(client, QUERY, await token_for(agent), f=filt)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == field


async def test_sort_on_several_fields(client, desk):
    token = await token_for(desk["agent"])
    query = """query($s: [TicketOrderInput!], $o: TicketOrderInput) {
      tickets(first: 10, sort: $s, orderBy: $o) { nodes { number priority } } }"""
    by_priority = [{"field": "PRIORITY", "direction": "DESC"}, {"field": "ID", "direction": "ASC"}]
    body = await gql(client, query, token, s=by_priority)
    assert [n["number"] for n in body["data"]["tickets"]["nodes"]] == [5, 4, 3, 6, 2, 1]
    for bad in (
        {"s": by_priority, "o": {"field": "ID"}},  # both
        {"s": [{"field": "PRIORITY"}] * 2},  # a field twice
        {"s": [{"field": "ID"}, {"field": "PRIORITY"}]},  # nothing breaks id's ties
        {"s": [{"field": f} for f in ("PRIORITY", "CREATED_AT", "UPDATED_AT", "ID")]},
    ):
        body = await gql(client, query, token, **bad)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
