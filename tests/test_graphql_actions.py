"""GraphQL mutations for what the REST doors already did: hold, merge, evaluate, mark read,
vote, edit and delete comments, through the same domain functions and rules."""

from models import Comment
from resolvers import comments, tickets
from tests.helpers import gql, token_for

ERRORS = "userErrors { field message code }"


async def test_hold_and_merge(client, agent, customer):
    first = await tickets.create_ticket(customer, title="one")
    second = await tickets.create_ticket(customer, title="two")
    staff, cust = await token_for(agent), await token_for(customer)
    hold = 'mutation($on: Boolean!) { setTicketHold(input: {id: "1", onHold: $on}) {'
    hold += f" ticket {{ onHold }} {ERRORS} }} }}"
    body = await gql(client, hold, staff, on=True)
    assert body["data"]["setTicketHold"] == {"ticket": {"onHold": True}, "userErrors": []}
    body = await gql(client, hold, cust, on=False)
    assert body["data"]["setTicketHold"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await tickets.get_ticket(agent, first.id)).on_hold
    merge = 'mutation($into: ID) { mergeTicket(input: {id: "2", into: $into}) {'
    merge += f" ticket {{ number mergedInto {{ number title }} }} {ERRORS} }} }}"
    body = await gql(client, merge, staff, into=str(first.id))
    assert body["data"]["mergeTicket"]["ticket"] == {
        "number": second.id,
        "mergedInto": {"number": first.id, "title": "one"},
    }
    body = await gql(client, merge, staff, into=str(second.id))
    assert body["data"]["mergeTicket"]["userErrors"] == [
        {
            "field": "into",
            "message": "A ticket cannot be merged into itself.",
            "code": "BAD_USER_INPUT",
        }
    ]
    body = await gql(client, merge, cust, into=None)
    assert body["data"]["mergeTicket"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_evaluate_mark_read_and_vote(client, agent, customer):
    ticket = await tickets.create_ticket(customer, title="slow")
    reply = await comments.add_comment(agent, ticket.id, "try again")
    staff, cust = await token_for(agent), await token_for(customer)
    evaluate = 'mutation($s: Int!) { evaluateTicket(input: {id: "1", score: $s, comment:'
    evaluate += f' "ok"}}) {{ ticket {{ evaluationScore evaluationComment }} {ERRORS} }} }}'
    body = await gql(client, evaluate, cust, s=9)
    assert body["data"]["evaluateTicket"]["ticket"] == {
        "evaluationScore": 9,
        "evaluationComment": "ok",
    }
    body = await gql(client, evaluate, cust, s=11)
    assert body["data"]["evaluateTicket"]["userErrors"][0]["field"] == "score"
    body = await gql(client, evaluate, staff, s=5)
    assert body["data"]["evaluateTicket"]["userErrors"][0]["code"] == "FORBIDDEN"
    read = 'mutation { markTicketRead(input: {id: "1"}) { ticket { number } userErrors { code } } }'
    assert not (await Comment.get(id=reply.id)).is_client_read
    body = await gql(client, read, cust)
    assert body["data"]["markTicketRead"] == {"ticket": {"number": 1}, "userErrors": []}
    assert (await Comment.get(id=reply.id)).is_client_read
    vote = "mutation($id: ID!) { voteComment(input: {id: $id, score: -1}) {"
    vote += f" comment {{ voteScore isClientRead }} ticket {{ number }} {ERRORS} }} }}"
    body = await gql(client, vote, cust, id=str(reply.id))
    assert body["data"]["voteComment"] == {
        "comment": {"voteScore": -1, "isClientRead": True},
        "ticket": {"number": 1},
        "userErrors": [],
    }
    own = await comments.add_comment(customer, ticket.id, "thanks")
    body = await gql(client, vote, cust, id=str(own.id))
    assert body["data"]["voteComment"]["userErrors"][0]["code"] == "CONFLICT"


async def test_edit_and_delete_comments(client, agent, customer):
    ticket = await tickets.create_ticket(customer, title="t")
    note = await comments.add_comment(agent, ticket.id, "draft", is_internal=True)
    staff, cust = await token_for(agent), await token_for(customer)
    edit = 'mutation($id: ID!) { updateComment(input: {id: $id, body: "final", isInternal:'
    edit += f" false}}) {{ comment {{ body isInternal }} {ERRORS} }} }}"
    body = await gql(client, edit, cust, id=str(note.id))
    assert body["data"]["updateComment"]["userErrors"][0]["code"] == "FORBIDDEN"
    body = await gql(client, edit, staff, id=str(note.id))
    assert body["data"]["updateComment"]["comment"] == {"body": "final", "isInternal": False}
    delete = "mutation($id: ID!) { deleteComment(input: {id: $id}) { deletedCommentId"
    delete += f" {ERRORS} }} }}"
    body = await gql(client, delete, staff, id=str(note.id))
    assert body["data"]["deleteComment"]["userErrors"] == []
    assert not await Comment.filter(id=note.id).exists()
    body = await gql(client, delete, staff, id=str(note.id))
    assert body["data"]["deleteComment"]["userErrors"][0]["code"] == "NOT_FOUND"


WEBHOOK = "webhook { id url events active } userErrors { field code }"


async def test_manage_webhooks(client_with, admin, agent):
    """Admins manage webhooks through GraphQL with platform v1's rules (private addresses only
    when WEBHOOKS_ALLOW_PRIVATE)."""
    async with client_with(webhooks_allow_private=True) as client:
        token = await token_for(admin)
        create = (
            'mutation($u: String!) { createWebhook(input: {url: $u, events: ["ticket.created"]})'
            f" {{ secret {WEBHOOK} }} }}"
        )
        made = (await gql(client, create, token, u="http://127.0.0.1:9/hook"))["data"]
        hook = made["createWebhook"]["webhook"]
        assert made["createWebhook"]["secret"] and hook["events"] == ["ticket.created"]
        refused = await gql(client, create, await token_for(agent), u="http://127.0.0.1:9/x")
        assert refused["data"]["createWebhook"]["userErrors"][0]["code"] == "FORBIDDEN"
        bad = await gql(client, create, token, u="ftp://example.com/")
        assert bad["data"]["createWebhook"]["userErrors"][0]["field"] == "url"
        update = "mutation($id: ID!) { updateWebhook(input: {id: $id, active: false}) {"
        update += f" {WEBHOOK} }} }}"
        body = await gql(client, update, token, id=hook["id"])
        assert body["data"]["updateWebhook"]["webhook"]["active"] is False
        listed = await gql(client, "{ webhooks { id active } }", token)
        assert listed["data"]["webhooks"] == [{"id": hook["id"], "active": False}]
        delete = "mutation($id: ID!) { deleteWebhook(input: {id: $id}) { deletedWebhookId } }"
        body = await gql(client, delete, token, id=hook["id"])
        assert body["data"]["deleteWebhook"]["deletedWebhookId"] == hook["id"]
        assert (await gql(client, "{ webhooks { id } }", token))["data"]["webhooks"] == []
