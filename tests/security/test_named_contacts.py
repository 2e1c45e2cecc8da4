"""Issue 14 Low 10: what a customer named on a ticket (a client e-mail) may do, in every door.
They read it and write public comments; only the customer who opened it (and staff) change
it: no adding people, renaming, closing, reopening or rating (resolvers.permissions.
require_opener)."""

from __future__ import annotations

import pytest

from resolvers import tickets
from tests.helpers import bearer, gql, token_for

FORBIDDEN = "Only the customer who opened this ticket, or staff, may change it."


@pytest.fixture
async def ticket(customer, other_customer):
    """Opened by `customer`, naming `other_customer` (other@example.com) as a contact."""
    return await tickets.create_ticket(
        customer, title="Printer on fire", client_emails=[other_customer.email]
    )


async def test_a_named_contact_reads_and_comments(client, ticket, other_customer):
    headers = bearer(await token_for(other_customer))
    read = await client.get(f"/api/v1/tickets/{ticket.id}", headers=headers)
    assert read.status_code == 200 and read.json()["data"]["title"] == "Printer on fire"
    comment = await client.post(
        f"/api/v1/tickets/{ticket.id}/comments", json={"content": "Me too"}, headers=headers
    )
    assert comment.status_code == 201, comment.text
    panel = await client.get(
        f"/support/tickets/{ticket.id}", headers={"X-Token": headers["Authorization"][7:]}
    )
    assert panel.status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Renamed"},
        {"status": "closed"},
        {"tags": ["spam"]},
        {"description": "Nothing to see"},
    ],
)
async def test_a_named_contact_cannot_change_it_through_platform_v1(
    client, ticket, other_customer, change
):
    response = await client.patch(
        f"/api/v1/tickets/{ticket.id}", json=change, headers=bearer(await token_for(other_customer))
    )
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "forbidden", "message": FORBIDDEN, "details": []}
    assert (await tickets.get_ticket(other_customer, ticket.id)).title == "Printer on fire"


async def test_a_named_contact_cannot_close_add_people_or_rate_in_the_control_panel(
    client, ticket, other_customer
):
    headers = {"X-Token": await token_for(other_customer)}
    for method, path, body in (
        ("POST", f"/support/tickets/{ticket.id}/close", {}),
        ("PATCH", f"/support/tickets/{ticket.id}", {"client_emails": ["x@example.com"]}),
        ("PATCH", f"/support/tickets/{ticket.id}", {"client_aliased_name": "Renamed"}),
        ("POST", f"/support/tickets/{ticket.id}/vote", {"score": 1}),
    ):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["message"] == FORBIDDEN


async def test_a_named_contact_cannot_change_it_through_graphql(client, ticket, other_customer):
    token = await token_for(other_customer)
    fields = "{ ticket { id } userErrors { field message code } }"
    for name, mutation in (
        ("setTicketStatus", "setTicketStatus(input: {id: $id, status: CLOSED})"),
        ("updateTicket", 'updateTicket(input: {id: $id, clientEmails: ["x@example.com"]})'),
    ):
        body = await gql(
            client, f"mutation($id: ID!) {{ {mutation} {fields} }}", token, id=str(ticket.id)
        )
        assert body["data"][name] == {
            "ticket": None,
            "userErrors": [{"field": None, "message": FORBIDDEN, "code": "FORBIDDEN"}],
        }


async def test_the_opener_and_staff_still_may(client, ticket, customer, agent):
    opener = await client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"title": "Renamed"},
        headers=bearer(await token_for(customer)),
    )
    assert opener.status_code == 200
    staff = await client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"status": "closed"},
        headers=bearer(await token_for(agent)),
    )
    assert staff.status_code == 200 and staff.json()["data"]["status"] == "closed"
