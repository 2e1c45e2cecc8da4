"""GraphQL over HTTP against the ASGI app: queries, mutations, errors, limits, permissions."""

import pytest

from resolvers import comments, credentials, projections, tickets
from resolvers.files import LocalStorage, NewFile
from resolvers.validation import shown
from tests.helpers import PASSWORD, gql, token_for

TICKETS = """
query($first: Int, $after: String, $last: Int, $before: String, $filter: TicketFilterInput,
      $orderBy: TicketOrderInput) {
  tickets(first: $first, after: $after, last: $last, before: $before, filter: $filter,
          orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { number title status priority } }
  }
}"""


def numbers(body):
    return [e["node"]["number"] for e in body["data"]["tickets"]["edges"]]


def error_codes(body):
    return [e["extensions"]["code"] for e in body["errors"]]


async def test_graphiql_served_to_browsers(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_login_returns_a_working_token(client, agent):
    body = await gql(
        client,
        'mutation($p: String!) { login(input: {username: "agent", password: $p}) '
        "{ token expiresAt user { username } } }",
        p=PASSWORD,
    )
    login = body["data"]["login"]
    assert login["user"] == {"username": "agent"}
    me = await gql(client, "{ me { username email } }", login["token"])
    assert me["data"]["me"] == {"username": "agent", "email": "agent@example.com"}


async def test_login_with_wrong_password(client, agent):
    body = await gql(
        client,
        'mutation { login(input: {email: "agent@example.com", password: "nope"}) { token } }',
    )
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] == {"login": None}  # only this field fails


async def test_anonymous_and_bad_credentials(client):
    body = await gql(client, "{ viewer { username } }")
    assert body["data"] == {"viewer": None}
    body = await gql(client, "{ tickets(first: 20) { totalCount } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { username } }"},
        headers={"Authorization": "Bearer tg_bad_token"},
    )
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]


async def test_create_and_read_ticket_with_relations(client, customer, agent):
    token = await token_for(customer)
    body = await gql(
        client,
        """mutation { createTicket(input: {title: "VPN down", description: "since 9am",
           tags: ["net"], clientEmails: ["boss@example.com"]}) {
             ticket { id number status tags clientEmails openedBy { username } } } }""",
        token,
    )
    ticket = body["data"]["createTicket"]["ticket"]
    assert ticket["status"] == "OPEN" and ticket["tags"] == ["net"]
    assert ticket["clientEmails"] == ["boss@example.com"]
    assert ticket["openedBy"] == {"username": "customer"}
    await comments.add_comment(agent, ticket["number"], "looking", is_internal=False)
    await comments.add_comment(agent, ticket["number"], "internal note", is_internal=True)
    query = """query($id: ID!) { ticket(id: $id) { title comments(first: 20) { totalCount
               edges { node { body isInternal author { username } } } }
               history(first: 20) { edges { node { kind } } } } }"""
    as_customer = await gql(client, query, token, id=ticket["id"])
    seen = as_customer["data"]["ticket"]
    assert seen["comments"]["totalCount"] == 1
    assert [e["node"]["body"] for e in seen["comments"]["edges"]] == ["looking"]
    assert [e["node"]["kind"] for e in seen["history"]["edges"]] == [
        "ticket.created",
        "comment.created",
    ]
    as_agent = await gql(client, query, await token_for(agent), id=str(ticket["number"]))
    assert as_agent["data"]["ticket"]["comments"]["totalCount"] == 2


async def test_customer_cannot_reach_foreign_tickets(client, customer, other_customer):
    foreign = await tickets.create_ticket(other_customer, title="private")
    token = await token_for(customer)
    body = await gql(client, "query($id: ID!) { ticket(id: $id) { title } }", token, id="1")
    assert error_codes(body) == ["NOT_FOUND"]
    body = await gql(client, TICKETS, token, first=20)
    assert body["data"]["tickets"]["totalCount"] == 0
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", token, id=_global("Ticket", foreign.id)
    )
    assert node["data"] == {"node": None}


def _global(type_name, pk):
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def test_node_round_trip(client, agent):
    ticket = await tickets.create_ticket(agent, title="find me")
    body = await gql(
        client,
        "query($id: ID!) { node(id: $id) { __typename ... on Ticket { title number } } }",
        await token_for(agent),
        id=_global("Ticket", ticket.id),
    )
    assert body["data"]["node"] == {"__typename": "Ticket", "title": "find me", "number": 1}


async def test_relay_pagination_forward_and_backward(client, agent):
    for n in range(5):
        await tickets.create_ticket(agent, title=f"t{n}", priority=1 + n)
    token = await token_for(agent)
    order = {"field": "ID", "direction": "ASC"}
    page1 = await gql(client, TICKETS, token, first=2, orderBy=order)
    info = page1["data"]["tickets"]["pageInfo"]
    assert numbers(page1) == [1, 2] and page1["data"]["tickets"]["totalCount"] == 5
    assert info["hasNextPage"] and not info["hasPreviousPage"]
    page2 = await gql(client, TICKETS, token, first=2, after=info["endCursor"], orderBy=order)
    assert numbers(page2) == [3, 4]
    tail = await gql(client, TICKETS, token, last=2, orderBy=order)
    assert numbers(tail) == [4, 5]
    assert not tail["data"]["tickets"]["pageInfo"]["hasNextPage"]
    before = page2["data"]["tickets"]["pageInfo"]["startCursor"]
    back = await gql(client, TICKETS, token, last=1, before=before, orderBy=order)
    assert numbers(back) == [2]


async def test_cursors_do_not_drift_when_tickets_arrive(client, agent):
    """Keyset cursors: a ticket created between two pages (newest first) neither repeats a
    row nor hides one; deleting the cursor's own ticket does not matter either."""
    for n in range(4):
        await tickets.create_ticket(agent, title=f"t{n}")
    token = await token_for(agent)
    page1 = await gql(client, TICKETS, token, first=2)
    assert numbers(page1) == [4, 3]
    await tickets.create_ticket(agent, title="newcomer")
    await tickets.delete_ticket(agent, 3)
    cursor = page1["data"]["tickets"]["pageInfo"]["endCursor"]
    page2 = await gql(client, TICKETS, token, first=2, after=cursor)
    assert numbers(page2) == [2, 1]
    assert page2["data"]["tickets"]["pageInfo"]["hasPreviousPage"]
    assert not page2["data"]["tickets"]["pageInfo"]["hasNextPage"]


async def test_cursors_are_tied_to_their_list_and_ordering(client, agent):
    await tickets.create_ticket(agent, title="a")
    token = await token_for(agent)
    page = await gql(client, TICKETS, token, first=1)
    cursor = page["data"]["tickets"]["pageInfo"]["endCursor"]
    by_priority = {"field": "PRIORITY", "direction": "DESC"}
    body = await gql(client, TICKETS, token, first=1, after=cursor, orderBy=by_priority)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "This cursor belongs to another list or ordering."
    import base64

    forged = base64.b64encode(b"Ticket.created_at.desc|1|yesterday").decode()
    body = await gql(client, TICKETS, token, first=1, after=forged)
    assert body["errors"][0]["message"] == "Invalid cursor."
    users = "query($a: String) { users(first: 1, after: $a) { nodes { username } } }"
    assert error_codes(await gql(client, users, token, a=cursor)) == ["BAD_USER_INPUT"]


async def test_nodes_shortcuts(client, agent, customer):
    mine = await tickets.create_ticket(customer, title="mine")
    other = await tickets.create_ticket(agent, title="staff only")
    token = await token_for(customer)
    body = await gql(
        client,
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Ticket { title } } }",
        token,
        ids=[_global("Ticket", mine.id), _global("Ticket", other.id), _global("User", customer.id)],
    )
    assert body["data"]["nodes"] == [
        {"__typename": "Ticket", "title": "mine"},
        None,
        {"__typename": "User"},
    ]
    too_many = [_global("Ticket", mine.id)] * 101
    body = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", token, ids=too_many)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql(client, "{ tickets(first: 5) { nodes { title } } }", token)
    assert body["data"]["tickets"]["nodes"] == [{"title": "mine"}]


async def test_filters_and_order(client, agent):
    await tickets.create_ticket(agent, title="low", priority=5, tags=["x"])
    high = await tickets.create_ticket(agent, title="high", priority=1)
    await tickets.set_status(agent, high.id, "closed")
    token = await token_for(agent)
    closed = await gql(client, TICKETS, token, first=20, filter={"status": ["CLOSED"]})
    assert numbers(closed) == [high.id]
    tagged = await gql(client, TICKETS, token, first=20, filter={"tag": "x", "search": "lo"})
    assert [e["node"]["title"] for e in tagged["data"]["tickets"]["edges"]] == ["low"]
    by_priority = await gql(
        client, TICKETS, token, first=20, orderBy={"field": "PRIORITY", "direction": "ASC"}
    )
    assert [e["node"]["priority"] for e in by_priority["data"]["tickets"]["edges"]] == [1, 5]


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({}, "first"),
        ({"last": 101}, "last"),
        ({"first": 1, "after": "not-a-cursor"}, "after"),
        ({"last": 1, "before": "VGlja2V0OjE="}, "before"),
        ({"first": 1, "last": 1}, "first"),
        ({"filter": {"assignedTo": "Ticket:1"}}, "filter.assignedTo"),
    ],
)
async def test_bad_pagination_arguments(client, agent, variables, argument):
    body = await gql(client, TICKETS, await token_for(agent), **variables)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == argument


async def test_mutations_full_lifecycle(client, agent, customer):
    agent_token, customer_token = await token_for(agent), await token_for(customer)
    created = await gql(
        client, 'mutation { createTicket(input: {title: "x"}) { ticket { id } } }', customer_token
    )
    tid = created["data"]["createTicket"]["ticket"]["id"]
    updated = await gql(
        client,
        'mutation($id: ID!) { updateTicket(input: {id: $id, priority: 1, tags: ["a"]}) '
        "{ ticket { priority tags } } }",
        agent_token,
        id=tid,
    )
    assert updated["data"]["updateTicket"]["ticket"] == {"priority": 1, "tags": ["a"]}
    assigned = await gql(
        client,
        "mutation($id: ID!, $who: ID) { assignTicket(input: {id: $id, assignee: $who}) "
        "{ ticket { assignedTo { username } assignedAt } } }",
        agent_token,
        id=tid,
        who=str(agent.id),
    )
    assert assigned["data"]["assignTicket"]["ticket"]["assignedTo"] == {"username": "agent"}
    commented = await gql(
        client,
        'mutation($id: ID!) { addComment(input: {ticketId: $id, body: "done", '
        "newStatus: RESOLVED}) { comment { body newStatus } ticket { status resolvedAt } } }",
        agent_token,
        id=tid,
    )
    payload = commented["data"]["addComment"]
    assert payload["comment"] == {"body": "done", "newStatus": "resolved"}
    assert payload["ticket"]["status"] == "RESOLVED" and payload["ticket"]["resolvedAt"]
    reopened = await gql(
        client,
        "mutation($id: ID!) { setTicketStatus(input: {id: $id, status: OPEN}) "
        "{ ticket { status } } }",
        customer_token,
        id=tid,
    )
    assert reopened["data"]["setTicketStatus"]["ticket"]["status"] == "REOPENED"
    delete = (
        "mutation($id: ID!) { deleteTicket(input: {id: $id}) { deletedTicketId deletedId"
        " userErrors { field message code } } }"
    )
    forbidden = await gql(client, delete, customer_token, id=tid)
    assert "errors" not in forbidden
    assert forbidden["data"]["deleteTicket"] == {
        "deletedTicketId": None,
        "deletedId": None,
        "userErrors": [{"field": None, "message": "Only staff may do this.", "code": "FORBIDDEN"}],
    }
    deleted = await gql(client, delete, agent_token, id=tid)
    assert deleted["data"]["deleteTicket"] == {
        "deletedTicketId": tid,
        "deletedId": "1",
        "userErrors": [],
    }


async def test_a_failing_mutation_does_not_hide_another(client, agent, customer):
    """Expected failures are userErrors in that mutation's payload: the ticket created by the
    first mutation of the document is in the answer, the failures are listed field by field."""
    body = await gql(
        client,
        """mutation {
          ok: createTicket(input: {title: "VPN down"}) { ticket { title } userErrors { code } }
          bad: createTicket(input: {title: "", clientEmails: ["x"]}) {
            ticket { title } userErrors { field message code } }
          gone: setTicketStatus(input: {id: "999", status: CLOSED}) {
            ticket { id } userErrors { field message code } }
        }""",
        await token_for(customer),
    )
    assert "errors" not in body
    assert body["data"]["ok"] == {"ticket": {"title": "VPN down"}, "userErrors": []}
    assert body["data"]["bad"] == {
        "ticket": None,
        "userErrors": [
            {"field": "title", "message": "title is required.", "code": "BAD_USER_INPUT"},
            {
                "field": "clientEmails",
                "message": "'x' is not a valid e-mail address.",
                "code": "BAD_USER_INPUT",
            },
        ],
    }
    assert body["data"]["gone"] == {
        "ticket": None,
        "userErrors": [{"field": None, "message": "Ticket 999 not found.", "code": "NOT_FOUND"}],
    }
    assert await tickets.filter_tickets(agent, tickets.TicketFilter()).count() == 1


async def test_every_invalid_field_is_a_user_error(client, agent):
    """createTicket and updateTicket report each invalid field of their input, not the first."""
    token = await token_for(agent)
    fields = "ticket { id } userErrors { field message code }"
    body = await gql(
        client,
        'mutation { createTicket(input: {title: "", priority: 9, queue: "999",'
        f' clientEmails: ["nobody"]}}) {{ {fields} }} }}',
        token,
    )
    assert body["data"]["createTicket"]["ticket"] is None
    assert [(e["field"], e["code"]) for e in body["data"]["createTicket"]["userErrors"]] == [
        ("title", "BAD_USER_INPUT"),
        ("priority", "BAD_USER_INPUT"),
        ("queue", "BAD_USER_INPUT"),
        ("clientEmails", "BAD_USER_INPUT"),
    ]
    ticket = await tickets.create_ticket(agent, title="VPN down")
    body = await gql(
        client,
        'mutation($id: ID!) { updateTicket(input: {id: $id, title: " ", priority: 0,'
        f' tags: [""], queue: "999"}}) {{ {fields} }} }}',
        token,
        id=str(ticket.id),
    )
    assert "errors" not in body, body
    errors = body["data"]["updateTicket"]["userErrors"]
    assert {e["field"]: e["message"] for e in errors} == {
        "title": "title is required.",
        "priority": "priority must be between 1 and 5.",
        "tags": "tags is required.",
        "queue": "Queue 999 does not exist.",
    }
    assert (await tickets.get_ticket(agent, ticket.id)).title == "VPN down"  # nothing changed


async def test_unexpected_mutation_errors_stay_top_level_and_masked(client, agent, monkeypatch):
    async def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tickets, "assign", boom)
    token = await token_for(agent)
    response = await client.post(
        "/graphql",
        json={
            "query": 'mutation { made: createTicket(input: {title: "x"}) { ticket { number } }'
            ' broken: assignTicket(input: {id: "1"}) { ticket { number } } }'
        },
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-7"},
    )
    body = response.json()
    assert body["data"] == {"made": {"ticket": {"number": 1}}, "broken": None}
    assert body["errors"][0]["path"] == ["broken"]
    assert body["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "req-7",
    }
    assert "disk on fire" not in response.text


async def test_request_wide_failures_stay_top_level(client):
    body = await gql(client, 'mutation { createTicket(input: {title: "x"}) { ticket { id } } }')
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] == {"createTicket": None}


async def test_conflicting_status_change(client, agent):
    ticket = await tickets.create_ticket(agent, title="x")
    await tickets.set_status(agent, ticket.id, "closed")
    body = await gql(
        client,
        'mutation { setTicketStatus(input: {id: "1", status: RESOLVED}) { ticket { status }'
        " userErrors { field message code } } }",
        await token_for(agent),
    )
    assert body["data"]["setTicketStatus"] == {
        "ticket": None,
        "userErrors": [
            {
                "field": None,
                "message": "Cannot change status from closed to resolved.",
                "code": "CONFLICT",
            }
        ],
    }


async def test_validation_errors_list_fields(client, admin):
    body = await gql(
        client,
        'mutation { createUser(input: {username: "bad name", password: "x"}) { user { id }'
        " userErrors { field message code } } }",
        await token_for(admin),
    )
    assert body["data"]["createUser"]["user"] is None
    assert body["data"]["createUser"]["userErrors"] == [
        {
            "field": "username",
            "message": "Usernames may contain letters, digits and @/./+/-/_ only.",
            "code": "BAD_USER_INPUT",
        }
    ]


async def test_create_user_and_token(client, admin):
    admin_token = await token_for(admin)
    made = await gql(
        client,
        'mutation { createUser(input: {username: "neo", role: AGENT, email: "neo@example.com", '
        'password: "follow-the-rabbit"}) { user { id username role } } }',
        admin_token,
    )
    user = made["data"]["createUser"]["user"]
    assert user["role"] == "AGENT"
    token = await gql(
        client,
        'mutation($u: ID) { createApiToken(input: {name: "ci", user: $u}) '
        "{ token user { username } } }",
        admin_token,
        u=user["id"],
    )
    raw = token["data"]["createApiToken"]["token"]
    me = await gql(client, "{ viewer { username } }", raw)
    assert me["data"]["viewer"] == {"username": "neo"}


async def test_users_visibility(client, agent, customer):
    query = "{ users(first: 20) { totalCount edges { node { username } } } }"
    staff = await gql(client, query, await token_for(agent))
    assert staff["data"]["users"]["totalCount"] == 2
    own = await gql(client, query, await token_for(customer))
    assert [e["node"]["username"] for e in own["data"]["users"]["edges"]] == ["customer"]


async def test_depth_and_alias_limits(client, agent):
    token = await token_for(agent)
    realistic = (
        "{ tickets(first: 20) { edges { node { comments(first: 20) { edges { node { author {"
        " username } } } } "
        "history(first: 20) { edges { node { actor { username } } } } } } } }"
    )
    assert "errors" not in await gql(client, realistic, token)
    deep = '{ node(id: "1") { ... on Ticket { ' + "queue { " * 12 + "id" + " }" * 12 + " } } }"
    body = await gql(client, deep, token)
    assert "depth" in body["errors"][0]["message"].lower()
    aliases = "{ " + " ".join(f"a{i}: viewer {{ username }}" for i in range(31)) + " }"
    body = await gql(client, aliases, token)
    assert "alias" in body["errors"][0]["message"].lower()


async def test_unexpected_errors_are_masked(client, agent, monkeypatch):
    async def boom(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    def broken_page(*args, **kwargs):
        raise RuntimeError("database password is hunter2")
        yield  # a read (generator), as projections.ticket_keyset_page

    monkeypatch.setattr(projections, "ticket_keyset_page", broken_page)
    response = await client.post(
        "/graphql",
        json={"query": "{ tickets(first: 20) { totalCount } }"},
        headers={"Authorization": f"Bearer {await token_for(agent)}", "X-Request-ID": "req-42"},
    )
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] == "req-42"


async def test_malformed_and_oversized_bodies(client, app):
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    huge = b"x" * (app.state.settings.max_body_bytes + 1)
    response = await client.post(
        "/graphql", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_statement_count_does_not_grow_with_page_size(client, agent, customer, count_sql):
    for n in range(100):
        ticket = await tickets.create_ticket(customer, title=f"t{n}")
        if n % 2:
            await tickets.assign(agent, ticket.id, agent.id)
        await comments.add_comment(agent, ticket.id, "hi")
    token = await token_for(agent)
    query = """query($n: Int) { tickets(first: $n) { edges { node { title tags
      openedBy { username } assignedTo { username } queue { slug }
      comments(first: 5) { totalCount edges { node { body author { username } } } } } } } }"""
    counts = []
    for size in (10, 100):
        await gql(client, query, token, n=size)  # warm: token last_used_at update ...
        await credentials.drain()  # ... written in the background: done before counting
        with count_sql() as statements:
            body = await gql(client, query, token, n=size)
        assert len(body["data"]["tickets"]["edges"]) == size
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 10


async def test_internal_comment_files_stay_internal(client, settings, customer, agent):
    storage = LocalStorage(settings.data_dir / "files")
    ticket = await tickets.create_ticket(
        customer,
        title="x",
        files=[NewFile("screenshot.png", "image/png", b"public bytes")],
        storage=storage,
    )
    await comments.add_comment(
        agent,
        ticket.id,
        "internal analysis",
        is_internal=True,
        files=[NewFile("secret.txt", "text/plain", b"internal bytes")],
        storage=storage,
    )
    query = """query($id: ID!) { ticket(id: $id) { attachments { filename }
        comments(first: 20) { edges { node { attachments { filename } } } } } }"""
    seen = await gql(client, query, await token_for(customer), id=str(ticket.id))
    assert seen["data"]["ticket"] == {
        "attachments": [{"filename": "screenshot.png"}],
        "comments": {"edges": []},
    }
    staff = await gql(client, query, await token_for(agent), id=str(ticket.id))
    assert staff["data"]["ticket"]["comments"]["edges"] == [
        {"node": {"attachments": [{"filename": "secret.txt"}]}}
    ]


async def test_ids_no_database_can_hold_are_bad_input(client, agent):
    """Found by fuzzing: out-of-range or non-ASCII digit ids were INTERNAL_SERVER_ERRORs."""
    token = await token_for(agent)
    for raw in ("99999999999999999999", "9" * 5000, "²", "0"):
        body = await gql(client, "query($id: ID!) { ticket(id: $id) { number } }", token, id=raw)
        assert error_codes(body) == ["BAD_USER_INPUT"], raw
        assert body["errors"][0]["message"] == f"{shown(raw)} is not a valid Ticket id."
    body = await gql(
        client,
        'mutation { createTicket(input: {title: "t", queue: "99999999999"}) { ticket { id }'
        " userErrors { field code } } }",
        token,
    )
    assert body["data"]["createTicket"] == {
        "ticket": None,
        "userErrors": [{"field": "queue", "code": "BAD_USER_INPUT"}],
    }
    for type_name in ("Ticket", "User", "Comment", "Queue"):
        body = await gql(
            client,
            "query($id: ID!) { node(id: $id) { id } }",
            token,
            id=_global(type_name, "9" * 20),
        )
        assert body["data"] == {"node": None}, type_name


async def test_undecodable_global_id_is_not_logged_as_a_fault(client, agent, caplog):
    body = await gql(client, '{ node(id: "x") { id } }', await token_for(agent))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize(
    "raw",
    [
        b"null",
        b'"{ viewer { username } }"',
        b"\xff\xfe",
        b'{"query": "{ viewer { username } }", "variables": ' + b"[" * 100_000 + b"]" * 100_000,
        b'{"query": "\xff"}',
    ],
)
async def test_bodies_that_are_not_a_json_object_are_400(client, raw):
    """Found by fuzzing: these were 500s (JSON null or a string, invalid UTF-8, deep nesting)."""
    response = await client.post(
        "/graphql", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.text == "Unable to parse request body as JSON"


async def test_custom_fields_nested_too_deeply_are_bad_input(client, agent):
    """Found by fuzzing: nesting past the JSON column's encoder limit was a 500."""
    deep: list = []
    for _ in range(300):
        deep = [deep]
    body = await gql(
        client,
        'mutation($cf: JSON) { createTicket(input: {title: "t", customFields: $cf}) '
        "{ ticket { number } userErrors { field message code } } }",
        await token_for(agent),
        cf={"a": deep},
    )
    assert body["data"]["createTicket"]["userErrors"] == [
        {
            "field": "customFields",
            "message": "custom_fields may nest at most 16 lists or objects deep.",
            "code": "BAD_USER_INPUT",
        }
    ]


async def test_nul_characters_are_bad_input_not_faults(client, agent):
    """Found by fuzzing: a NUL in text was an INTERNAL_SERVER_ERROR on PostgreSQL."""
    token = await token_for(agent)
    body = await gql(
        client,
        "mutation($t: String!) { createTicket(input: {title: $t}) { ticket { id }"
        " userErrors { field message code } } }",
        token,
        t="a\x00b",
    )
    assert body["data"]["createTicket"]["userErrors"] == [
        {
            "field": "title",
            "message": "title must not contain NUL characters.",
            "code": "BAD_USER_INPUT",
        }
    ]
    body = await gql(
        client,
        "query($t: String!) { tickets(first: 1, filter: {search: $t}) { totalCount } }",
        token,
        t="\x00",
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql(
        client,
        "mutation($p: String!) { login(input: {username: $p, password: $p}) { token } }",
        p="agent\x00",
    )
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_date_times_with_no_utc_equivalent_are_bad_input(client, agent):
    """Found by fuzzing: year 1 at +14:00 (or 9999-12-31 at -14:00) overflowed: a fault."""
    token = await token_for(agent)
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        body = await gql(
            client,
            "query($d: DateTime) { tickets(first: 1, filter: {createdAfter: $d}) { totalCount } }",
            token,
            d=when,
        )
        assert body["errors"][0]["extensions"]["fields"] == [
            {
                "field": "created_after",
                "message": "created_after is out of range in UTC.",
                "code": "invalid",
            }
        ]
        body = await gql(
            client,
            'mutation($d: DateTime) { createTicket(input: {title: "t", dueDate: $d}) '
            "{ ticket { id } userErrors { field code } } }",
            token,
            d=when,
        )
        assert body["data"]["createTicket"] == {
            "ticket": None,
            "userErrors": [{"field": "dueDate", "code": "BAD_USER_INPUT"}],
        }
