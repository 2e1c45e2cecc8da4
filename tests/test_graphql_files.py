"""Files through GraphQL: multipart uploads on createTicket/addComment, Attachment nodes and
their download links, with the REST doors' limits and permission rules."""

import json

from resolvers import limits, tickets
from tests.helpers import bearer, gql, token_for

FIELDS = "ticket { number attachments { id filename mimeType size url } } userErrors { field code }"
CREATE = 'mutation($f: [Upload!]) { createTicket(input: {title: "files", attachments: $f}) { %s } }'
COMMENT = (
    "mutation($id: ID!, $f: [Upload!], $internal: Boolean!) { addComment(input: {ticketId: $id,"
    ' body: "see file", isInternal: $internal, attachments: $f}) { comment { id attachments {'
    " id filename url } } userErrors { field code } } }"
)


async def _multipart(client, token, query, files, **variables):
    """A GraphQL multipart request (jaydenseric's spec): `files` go to `variables.f.N`."""
    variables["f"] = [None] * len(files)
    operations = json.dumps({"query": query, "variables": variables})
    mapping = json.dumps({str(n): [f"variables.f.{n}"] for n in range(len(files))})
    parts = {str(n): f for n, f in enumerate(files)}
    return await client.post(
        "/graphql",
        data={"operations": operations, "map": mapping},
        files=parts,
        headers=bearer(token),
    )


async def test_upload_on_create_and_download(client, customer, other_customer, agent):
    token = await token_for(customer)
    files = [("a.txt", b"hello", "text/plain"), ("b é.png", b"\x89PNG..", "image/png")]
    response = await _multipart(client, token, CREATE % FIELDS, files)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["createTicket"]
    assert payload["userErrors"] == []
    found = payload["ticket"]["attachments"]
    assert [(a["filename"], a["mimeType"], a["size"]) for a in found] == [
        ("a.txt", "text/plain", 5),
        ("b é.png", "image/png", 6),
    ]
    link = found[0]["url"]
    assert link.startswith("http://testserver/graphql/files/")
    downloaded = await client.get(link)  # the signed link needs no credential header
    assert downloaded.status_code == 200 and downloaded.content == b"hello"
    assert downloaded.headers["content-type"].startswith("text/plain")
    path = link.split("?")[0]
    assert (await client.get(path, headers=bearer(token))).content == b"hello"
    stranger = await client.get(path, headers=bearer(await token_for(other_customer)))
    assert stranger.status_code == 404
    assert stranger.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await client.get(path)).status_code == 401
    assert (await client.get(link[:-3] + "000")).status_code == 404  # a forged signature
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Attachment { filename } } }",
        await token_for(agent),
        id=found[1]["id"],
    )
    assert node["data"]["node"] == {"filename": "b é.png"}


async def test_internal_comment_files_stay_internal(client, customer, agent):
    ticket = await tickets.create_ticket(customer, title="t")
    agent_token, customer_token = await token_for(agent), await token_for(customer)
    response = await _multipart(
        client,
        agent_token,
        COMMENT,
        [("n.txt", b"secret", "text/plain")],
        id=str(ticket.id),
        internal=True,
    )
    comment = response.json()["data"]["addComment"]["comment"]
    path = comment["attachments"][0]["url"].split("?")[0]
    assert (await client.get(path, headers=bearer(agent_token))).content == b"secret"
    assert (await client.get(path, headers=bearer(customer_token))).status_code == 404
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        customer_token,
        id=comment["attachments"][0]["id"],
    )
    assert node["data"] == {"node": None}


async def test_upload_limits_are_the_rest_doors(client, agent):
    token = await token_for(agent)
    eleven = [(f"{n}.txt", b"x", "text/plain") for n in range(11)]
    response = await _multipart(client, token, CREATE % FIELDS, eleven)
    assert response.json()["data"]["createTicket"] == {
        "ticket": None,
        "userErrors": [{"field": "attachments", "code": "BAD_USER_INPUT"}],
    }
    big = [("big.bin", b"x" * (limits.FILE_BYTES + 1), "application/octet-stream")]
    response = await _multipart(client, token, CREATE % FIELDS, big)
    assert response.json()["data"]["createTicket"]["userErrors"] == [
        {"field": "attachments", "code": "BAD_USER_INPUT"}
    ]
    assert await tickets.filter_tickets(agent, tickets.TicketFilter()).count() == 0


async def test_multipart_carries_mutations_only_and_json_cannot_fake_files(client, agent):
    token = await token_for(agent)
    response = await _multipart(
        client, token, "query($f: [Upload!]) { tickets(first: 1) { totalCount } }", []
    )
    assert response.status_code == 400
    body = await gql(client, CREATE % "userErrors { field code }", token, f=["not a file"])
    assert body["data"]["createTicket"]["userErrors"] == [
        {"field": "attachments", "code": "BAD_USER_INPUT"}
    ]
