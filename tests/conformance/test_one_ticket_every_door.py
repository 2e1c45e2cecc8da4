"""One ticket, every door (issue 17): a ticket opened through one door reads the same through
every other door and GraphQL.

Each creating door opens "the" ticket its own way, for the customer: GraphQL and the two
helpdesk APIs as an agent on the customer's behalf (`clientEmails` / `submitter_email`), the
control panel and platform v1 as the customer. An agent then posts one public reply (setup).
Each reading door shows what it documents, mapped to canonical values (the table of which
door shows what, and how, is in docs/conformance.md).

Reading as the customer is itself the owner check of the customer-facing doors: the ticket
must be theirs ("my tickets"). A door that keeps the opening text as a first comment (the
helpdesk's "Ticket Opened" followup, the control panel's first message) shows it once; the
comparison drops that opening message from the comments.
"""

from __future__ import annotations

from typing import Any

import pytest

from resolvers import comments, queues
from resolvers.permissions import SYSTEM
from tests.conformance.helpdesk import basic
from tests.helpers import PASSWORD, gql, token_for

TITLE, BODY, REPLY = "Printer on fire", "It burns.", "Try turning it off and on again."
CREATING = ["graphql", "helpdesk", "helpdesk_legacy", "control_panel", "platform_v1"]
READING = [
    "graphql",
    "helpdesk",
    "helpdesk_user_tickets",
    "control_panel",
    "platform_v1",
    "nephthys",
]
PAIRS = [(made, read) for made in CREATING for read in READING if read != made]


@pytest.fixture
async def world(agent, customer):
    queue = await queues.create_queue(SYSTEM, title="Support", slug="support")
    return {
        "queue": queue,
        "agent": agent,
        "customer": customer,
        "agent_token": await token_for(agent),
        "customer_token": await token_for(customer),
    }


# ---------------------------------------------------------------- creating doors
# Each answers (ticket id, the priority it set); staff set priority 2, customers the default 3.


async def create_graphql(client, w) -> tuple[int, int]:
    body = await gql(
        client,
        """mutation($input: CreateTicketInput!) { createTicket(input: $input) {
             ticket { number } } }""",
        w["agent_token"],
        input={
            "title": TITLE,
            "description": BODY,
            "priority": 2,
            "queue": str(w["queue"].id),
            "clientEmails": [w["customer"].email],
        },
    )
    assert "errors" not in body, body
    return body["data"]["createTicket"]["ticket"]["number"], 2


async def create_helpdesk(client, w) -> tuple[int, int]:
    response = await client.post(
        "/helpdesk/api/tickets/",
        json={
            "queue": w["queue"].id,
            "title": TITLE,
            "description": BODY,
            "submitter_email": w["customer"].email,
            "priority": 2,
        },
        headers=basic("agent", PASSWORD),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], 2


async def create_helpdesk_legacy(client, w) -> tuple[int, int]:
    response = await client.post(
        "/helpdesk/api/create_ticket/",
        data={
            "user": "agent",
            "password": PASSWORD,
            "queue": str(w["queue"].id),
            "title": TITLE,
            "body": BODY,
            "submitter_email": w["customer"].email,
            "priority": "2",
        },
    )
    assert response.status_code == 200, response.text
    return int(response.text), 2


async def create_control_panel(client, w) -> tuple[int, int]:
    response = await client.post(
        "/support/tickets",
        json={"summary": TITLE, "comment_body": BODY, "topic_key": "support"},
        headers={"X-Token": w["customer_token"]},
    )
    assert response.status_code == 200, response.text
    return response.json()["number"], 3


async def create_platform_v1(client, w) -> tuple[int, int]:
    response = await client.post(
        "/api/v1/tickets",
        json={"title": TITLE, "description": BODY},
        headers={"Authorization": f"Bearer {w['customer_token']}"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"]), 3


# ---------------------------------------------------------------- reading doors
# Each answers the canonical view of what it shows.


def _conversation(body: str | None, messages: list[str]) -> list[str]:
    """The replies after the opening message (a door may keep the body as its first one)."""
    return messages[1:] if messages and messages[0] == body else messages


async def read_graphql(client, w, number: int) -> dict[str, Any]:
    body = await gql(
        client,
        """query($id: ID!) { ticket(id: $id) { title description status priority
             submitterEmail queue { slug } comments(first: 100) { edges { node { body } } } } }""",
        w["customer_token"],
        id=str(number),
    )
    ticket = body["data"]["ticket"]
    assert ticket is not None, body
    messages = [e["node"]["body"] for e in ticket["comments"]["edges"]]
    return {
        "title": ticket["title"],
        "body": ticket["description"],
        "status": ticket["status"].lower(),
        "priority": ticket["priority"],
        "owner": ticket["submitterEmail"],
        "queue": (ticket["queue"] or {}).get("slug"),
        "comments": _conversation(ticket["description"], messages),
    }


HELPDESK_STATUS = {1: "open", 2: "reopened", 3: "resolved", 4: "closed", 5: "duplicate"}


async def read_helpdesk(client, w, number: int) -> dict[str, Any]:
    response = await client.get(
        f"/helpdesk/api/tickets/{number}/", headers=basic("agent", PASSWORD)
    )
    assert response.status_code == 200, response.text
    ticket = response.json()
    public = [f["comment"] for f in ticket["followup_set"] if f["public"]]
    return {
        "title": ticket["title"],
        "body": ticket["description"],
        "status": HELPDESK_STATUS[ticket["status"]],
        "priority": ticket["priority"],
        "owner": ticket["submitter_email"],
        "queue": "support" if ticket["queue"] == w["queue"].id else ticket["queue"],
        "comments": _conversation(ticket["description"], public),
    }


async def read_helpdesk_user_tickets(client, w, number: int) -> dict[str, Any]:
    response = await client.get(
        "/helpdesk/api/user_tickets/", headers={"Authorization": f"Token {w['customer_token']}"}
    )
    assert response.status_code == 200, response.text
    mine = [t for t in response.json()["results"] if t["id"] == number]
    assert mine, f"ticket {number} is not in the customer's user_tickets"
    ticket = mine[0]
    return {
        "title": ticket["title"],
        "status": ticket["status"].lower(),
        "owner": ticket["submitter"],
        "queue": "support" if (ticket["queue"] or {}).get("id") == w["queue"].id else None,
    }


async def read_control_panel(client, w, number: int) -> dict[str, Any]:
    headers = {"X-Token": w["customer_token"]}
    ticket = await client.get(f"/support/tickets/{number}", headers=headers)
    assert ticket.status_code == 200, ticket.text
    listed = await client.get(f"/support/tickets/{number}/comments", headers=headers)
    messages = [c["body"] for c in listed.json()["items"]]
    return {
        "title": ticket.json()["summary"],
        "body": messages[0] if messages else None,
        "status": ticket.json()["status_key"],
        "comments": messages[1:],
    }


PLATFORM_PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4}


async def read_platform_v1(client, w, number: int) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/tickets/{number}", headers={"Authorization": f"Bearer {w['customer_token']}"}
    )
    assert response.status_code == 200, response.text
    ticket = response.json()["data"]
    messages = [c["content"] for c in ticket["comments"] if not c["is_internal"]]
    return {
        "title": ticket["title"],
        "body": ticket["description"],
        "status": ticket["status"],
        "priority": PLATFORM_PRIORITY[ticket["priority"]],
        "comments": _conversation(ticket["description"], messages),
    }


async def read_nephthys(client, w, number: int) -> dict[str, Any]:
    response = await client.get(
        f"/api/ticket?id={number}", headers={"Authorization": f"Bearer {w['customer_token']}"}
    )
    assert response.status_code == 200, response.text
    ticket = response.json()
    return {"title": ticket["title"], "body": ticket["description"], "status": ticket["status"]}


CREATE = {name: globals()[f"create_{name}"] for name in CREATING}
READ = {name: globals()[f"read_{name}"] for name in READING}


@pytest.mark.parametrize(
    ("made_by", "read_by"), [pytest.param(m, r, id=f"{m}->{r}") for m, r in PAIRS]
)
async def test_one_ticket_reads_the_same_through_every_door(client, world, made_by, read_by):
    number, priority = await CREATE[made_by](client, world)
    await comments.add_comment(world["agent"], number, REPLY, is_internal=False)
    expected = {
        "title": TITLE,
        "body": BODY,
        "status": "open",
        "priority": priority,
        "owner": world["customer"].email,
        "queue": "support",
        "comments": [REPLY],
    }
    seen = await READ[read_by](client, world, number)
    assert seen == {key: expected[key] for key in seen}
