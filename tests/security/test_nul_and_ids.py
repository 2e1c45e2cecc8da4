"""Issue 14 Low 9: NUL characters in a topic key or a multipart content type are refused
(PostgreSQL answered 500; SQLite stored a file no door could then serve), and `node(id:)` with
the global id of a type that is not a Node is bad input, not an internal error. (NUL in every
other field, door by door: tests/test_rules_matrix.py; the data directory's modes:
tests/test_cli.py.)"""

from __future__ import annotations

import base64

import pytest

from models import Attachment
from resolvers import queues
from resolvers.permissions import SYSTEM
from tests.helpers import bearer, gql, token_for


async def test_a_topic_key_with_a_nul_is_invalid(client, customer):
    await queues.create_queue(SYSTEM, title="General", slug="general")
    response = await client.post(
        "/support/tickets",
        json={"summary": "s", "comment_body": "b", "topic_key": "gen\x00eral"},
        headers={"X-Token": await token_for(customer)},
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": "topic_key must not contain NUL characters.",
        "field": "topic_key",
    }


async def test_a_content_type_with_a_nul_is_invalid_and_nothing_is_stored(client, agent, customer):
    panel = await client.post(
        "/support/files",
        files={"file": ("a.txt", b"hi", "text/pl\x00ain")},
        headers={"X-Token": await token_for(customer)},
    )
    assert (panel.status_code, panel.json()["error"]["field"]) == (400, "file")
    queue = await queues.create_queue(SYSTEM, title="General", slug="general")
    helpdesk = await client.post(
        "/helpdesk/api/tickets/",
        data={"queue": str(queue.id), "title": "t", "description": "d"},
        files={"attachment": ("a.txt", b"hi", "text/pl\x00ain")},
        headers=bearer(await token_for(agent)),
    )
    assert helpdesk.status_code == 400 and list(helpdesk.json()) == ["attachment"]
    assert await Attachment.all().count() == 0


def global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "raw", ["Query:1", "Mutation:1", "PageInfo:1", "TicketConnection:1", "Event:1", "Nope:1"]
)
async def test_node_with_the_id_of_a_type_that_is_not_a_node_is_bad_input(client, agent, raw):
    body = await gql(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        await token_for(agent),
        id=global_id(raw),
    )
    assert body["data"] == {"node": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == "id is not the global id of an object with an id (a Node)."


async def test_node_of_a_real_type_still_answers(client, agent):
    user_id = global_id(f"User:{agent.id}")
    query = "query($id: ID!) { node(id: $id) { id } }"
    body = await gql(client, query, await token_for(agent), id=user_id)
    assert body["data"] == {"node": {"id": user_id}} and "errors" not in body
