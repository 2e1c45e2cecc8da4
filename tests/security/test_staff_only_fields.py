"""Staff-only custom fields (HELPDESK_CUSTOM_FIELDS) are a domain rule: no door shows them to a
customer or lets one set them (issue 14, Medium 6)."""

from __future__ import annotations

import pytest

from resolvers import tickets
from tests.helpers import bearer, gql, token_for

CUSTOM = (
    '[{"name": "seats", "label": "Seats", "data_type": "integer"},'
    ' {"name": "internal_note", "label": "Note", "data_type": "varchar", "staff_only": true}]'
)
QUERY = """query($id: ID!) { ticket(id: $id) { customFields } }"""


@pytest.fixture
async def client(client_with):
    async with client_with(helpdesk_custom_fields=CUSTOM) as c:
        yield c


@pytest.fixture
async def ticket(client, agent, customer):
    made = await tickets.create_ticket(customer, title="Seats", custom_fields={"seats": 2})
    fields = {"seats": 2, "internal_note": "churn risk"}
    return await tickets.update_ticket(agent, made.id, custom_fields=fields)


async def test_customers_never_read_staff_only_values(client, ticket, agent, customer):
    mine, staff = bearer(await token_for(customer)), bearer(await token_for(agent))
    seen = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=mine)).json()
    assert seen["data"]["custom_fields"] == {"seats": 2}
    listed = (await client.get("/api/v1/tickets", headers=mine)).json()
    assert listed["data"][0]["custom_fields"] == {"seats": 2}
    full = (await client.get(f"/api/v1/tickets/{ticket.id}", headers=staff)).json()
    assert full["data"]["custom_fields"] == {"seats": 2, "internal_note": "churn risk"}
    for who, expected in ((customer, {"seats": 2}), (agent, full["data"]["custom_fields"])):
        token = await token_for(who)
        compiled = await gql(client, QUERY, token, id=str(ticket.id))
        assert compiled["data"]["ticket"]["customFields"] == expected
        standard = await gql(  # `history` sends the document to Strawberry's executor
            client,
            "query($id: ID!) { ticket(id: $id) { customFields history(first: 20) { totalCount }"
            " } }",
            token,
            id=str(ticket.id),
        )
        assert standard["data"]["ticket"]["customFields"] == expected


async def test_customers_cannot_set_staff_only_values_and_keep_them(
    client, ticket, agent, customer
):
    headers = bearer(await token_for(customer))
    refused = await client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"custom_fields": {"internal_note": "all good"}},
        headers=headers,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    changed = await client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"custom_fields": {"seats": 5}}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["custom_fields"] == {"seats": 5}
    stored = await tickets.get_ticket(agent, ticket.id)
    assert stored.custom_fields == {"seats": 5, "internal_note": "churn risk"}
