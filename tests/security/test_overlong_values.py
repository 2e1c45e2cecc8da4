"""Issue 14 Medium 5: over-long values get a clear 4xx in the door's format (never a 500),
error messages quote at most a short cut of them, and log records are bounded."""

from __future__ import annotations

import logging
import sys

import pytest

from observe.logs import BoundedRecords
from resolvers import queues
from resolvers.permissions import SYSTEM
from tests.helpers import basic, bearer, gql, token_for

HELPDESK = "/helpdesk/api/tickets/"
LEGACY = "/helpdesk/api/list_queues/"


@pytest.fixture
async def queue():
    return await queues.create_queue(SYSTEM, title="General", slug="general")


LONG_BASIC = basic("u" * 151, "pw")
LONG_TOKEN = {"X-Token": "tg_" + "a" * 17 + "_x"}


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        (HELPDESK, 403, None),
        ("/api/v1/tickets", 401, '"unauthorized"'),
        ("/support/tickets", 401, '"unauthorized"'),
    ],
)
@pytest.mark.parametrize("headers", [LONG_BASIC, LONG_TOKEN], ids=["basic", "token"])
async def test_over_long_credentials_are_invalid_in_each_doors_format(
    client, agent, path, status, body, headers
):
    response = await client.get(path, headers=headers)
    assert response.status_code == status, response.text
    if path == HELPDESK:
        bad = "Invalid username/password." if headers is LONG_BASIC else "Invalid token."
        assert response.json() == {"detail": bad}
    else:
        assert body in response.text


async def test_over_long_credentials_on_nephthys_and_graphql(client, client_with, agent):
    async with client_with(nephthys_public=False) as private:
        for headers in (LONG_BASIC, LONG_TOKEN):
            response = await private.get("/api/tickets?status=open", headers=headers)
            assert (response.status_code, response.json()) == (401, {"error": "unauthorized"})
            body = (
                await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
            ).json()
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_over_long_logins_are_invalid_credentials(client, agent):
    response = await client.post("/api/v1/auth/login", json={"email": "e" * 151, "password": "x"})
    assert response.status_code == 401 and '"unauthorized"' in response.text
    body = await gql(
        client,
        "mutation($p: String!) { login(input: {email: $p, password: $p}) { token } }",
        p="e" * 300 + "@example.com",
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    legacy = await client.post(LEGACY, data={"user": "u" * 151, "password": "x"})
    assert (legacy.status_code, legacy.text) == (403, "Invalid username or password")
    assert (await client.get(HELPDESK, headers=bearer("tg_" + "a" * 17 + "_x"))).status_code == 403


async def test_nephthys_user_with_an_over_long_slack_id_is_not_found(client, agent):
    headers = bearer(await token_for(agent))
    for slack_id in ("U" * 65, "U" * 5000):
        response = await client.get(f"/api/user?id={slack_id}", headers=headers)
        assert (response.status_code, response.json()) == (404, {"error": "user_not_found"})


async def test_over_long_topic_key_is_not_found_and_quoted_short(client, customer, queue):
    body = {"summary": "s", "comment_body": "b", "topic_key": "t" * 5000}
    response = await client.post(
        "/support/tickets", json=body, headers={"X-Token": await token_for(customer)}
    )
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and len(error["message"]) < 100


@pytest.mark.parametrize("mime", ["text/" + "p" * 200, "text/pl\x00ain", "text/pl\x01ain", "nope"])
async def test_multipart_content_types_that_cannot_be_stored_or_served(client, customer, mime):
    response = await client.post(
        "/support/files",
        files={"file": ("a.txt", b"hi", mime)},
        headers={"X-Token": await token_for(customer)},
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": "mime_type must be a media type like text/plain, of at most 127 characters.",
        "field": "file",
    }


async def test_helpdesk_attachment_content_type_is_checked_before_anything_is_written(
    client, agent, queue
):
    response = await client.post(
        "/helpdesk/api/tickets/",
        data={"queue": str(queue.id), "title": "t", "description": "d"},
        files={"attachment": ("a.txt", b"hi", "text/" + "p" * 200)},
        headers=bearer(await token_for(agent)),
    )
    assert response.status_code == 400
    assert list(response.json()) == ["attachment"]
    listed = await client.get("/helpdesk/api/tickets/", headers=bearer(await token_for(agent)))
    assert listed.json()["count"] == 0


async def test_search_terms_and_tags_are_bounded_in_every_door(client, agent, customer):
    staff = bearer(await token_for(agent))
    term = "z" * 201
    platform = await client.get(f"/api/v1/tickets?q={term}", headers=staff)
    assert platform.status_code == 422
    assert platform.json()["error"]["details"] == [
        {"field": "q", "message": "search must be at most 200 characters."}
    ]
    users = await client.get(f"/api/v1/users?q={term}", headers=staff)
    assert users.status_code == 422
    panel = await client.get(
        f"/support/tickets?q={term}", headers={"X-Token": await token_for(customer)}
    )
    assert (panel.status_code, panel.json()["error"]["field"]) == (400, "q")
    query = (
        "query($t: String!, $g: String!) { tickets(filter: {search: $t, tag: $g}) { totalCount } }"
    )
    for search, tag, message in (
        (term, "ok", "search must be at most 200 characters."),
        ("ok", "t" * 65, "tag must be at most 64 characters."),
    ):
        response = await client.post(
            "/graphql", json={"query": query, "variables": {"t": search, "g": tag}}, headers=staff
        )
        [error] = response.json()["errors"]
        assert (error["message"], error["extensions"]["code"]) == (message, "BAD_USER_INPUT")


async def test_ids_and_uuids_are_quoted_short(client, agent, customer):
    staff = bearer(await token_for(agent))
    long_id = "z" * 20000
    response = await client.post(
        "/graphql", json={"query": f'{{ user(id: "{long_id}") {{ id }} }}'}, headers=staff
    )
    assert len(response.json()["errors"][0]["message"]) < 120
    download = await client.get(
        f"/support/files/{long_id}", headers={"X-Token": await token_for(customer)}
    )
    assert download.status_code == 404 and len(download.json()["error"]["message"]) < 100


def test_log_records_are_bounded():
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "bad %s (%d)", ("x" * 10**6, 7), None
    )
    try:
        raise ValueError("y" * 10**6)
    except ValueError:
        record.exc_info = sys.exc_info()
    BoundedRecords(limit=1000).filter(record)
    message = record.getMessage()
    assert len(message) < 1100 and message.endswith("more characters] (7)")
    assert len(logging.Formatter().format(record)) < 2300


def test_short_records_keep_their_arguments():
    """uvicorn's access formatter unpacks `args`: they must survive the filter."""
    args = ("127.0.0.1:5000", "GET", "/api/tickets?x=1", "1.1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", args, None)
    BoundedRecords().filter(record)
    assert record.args == args
