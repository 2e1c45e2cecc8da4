"""Administration through GraphQL: queues, users, API tokens, logout (issue 15, item 5)."""

import pytest

from models import Event, RevokedSession
from resolvers import queues, tickets
from resolvers.errors import Invalid
from resolvers.permissions import SYSTEM
from tests.helpers import PASSWORD, gql, token_for

CREATE_QUEUE = """mutation($input: CreateQueueInput!) {
  createQueue(input: $input) {
    queue { slug title isPublic archivedAt }
    userErrors { field message code }
  }
}"""
UPDATE_QUEUE = """mutation($input: UpdateQueueInput!) {
  updateQueue(input: $input) {
    queue { databaseId slug title isPublic archivedAt }
    userErrors { field message code }
  }
}"""
UPDATE_USER = """mutation($input: UpdateUserInput!) {
  updateUser(input: $input) { user { username role isActive } userErrors { field message code } }
}"""
SET_PASSWORD = """mutation($input: SetPasswordInput!) {
  setPassword(input: $input) { user { username } userErrors { field message code } }
}"""
TOKENS = """query($user: ID) {
  apiTokens(user: $user, first: 10) {
    totalCount edges { node { databaseId name lastUsedAt user { username } } }
  }
}"""
REVOKE = """mutation($id: ID!) {
  revokeApiToken(input: {id: $id}) { revokedTokenId userErrors { field message code } }
}"""
LOGIN = """mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
  token } }"""
LOGOUT = "mutation { logout { user { username } userErrors { field message code } } }"


def codes(body):
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def kinds() -> list[str]:
    """The events recorded after the fixtures' users were created."""
    return [e.kind for e in await Event.exclude(kind="user.created").order_by("id")]


async def test_queue_lifecycle_records_events(client, admin):
    token = await token_for(admin)
    body = await gql(client, CREATE_QUEUE, token, input={"title": "Sales", "slug": "sales"})
    assert body["data"]["createQueue"] == {
        "queue": {"slug": "sales", "title": "Sales", "isPublic": False, "archivedAt": None},
        "userErrors": [],
    }
    queue_id = (await gql(client, "{ queues { databaseId } }", token))["data"]["queues"][0]
    change = {"id": str(queue_id["databaseId"]), "title": "Sales EU", "isPublic": True}
    body = await gql(client, UPDATE_QUEUE, token, input=change)
    queue = body["data"]["updateQueue"]["queue"]
    assert (queue["title"], queue["isPublic"], queue["archivedAt"]) == ("Sales EU", True, None)
    body = await gql(client, UPDATE_QUEUE, token, input={"id": change["id"], "archived": True})
    assert body["data"]["updateQueue"]["queue"]["archivedAt"] is not None
    assert await kinds() == ["queue.created", "queue.updated", "queue.updated"]
    last = await Event.all().order_by("-id").first()
    assert last.actor_id == admin.id and list(last.payload["changes"]) == ["archived_at"]


async def test_archived_queue_takes_no_new_tickets_but_keeps_its_own(admin):
    queue = await queues.create_queue(SYSTEM, title="Old", slug="old")
    ticket = await tickets.create_ticket(admin, title="Kept", queue_id=queue.id)
    await queues.update_queue(admin, queue.id, archived=True)
    with pytest.raises(Invalid, match="archived: it takes no new tickets"):
        await tickets.create_ticket(admin, title="Lost", queue_id=queue.id)
    # a change that repeats the ticket's own queue still goes through
    updated = await tickets.update_ticket(admin, ticket.id, queue_id=queue.id, title="Still")
    assert (updated.title, updated.queue_id) == ("Still", queue.id)


async def test_queue_mistakes_are_user_errors(client, admin):
    token = await token_for(admin)
    await gql(client, CREATE_QUEUE, token, input={"title": "A", "slug": "a"})
    body = await gql(client, CREATE_QUEUE, token, input={"title": "A", "slug": "a"})
    assert body["data"]["createQueue"]["queue"] is None
    assert body["data"]["createQueue"]["userErrors"][0]["code"] == "CONFLICT"
    body = await gql(client, CREATE_QUEUE, token, input={"title": "B", "slug": "Not a slug!"})
    assert body["data"]["createQueue"]["userErrors"] == [
        {
            "field": "slug",
            "message": "Slugs use lower-case letters, digits, '-' and '_'.",
            "code": "BAD_USER_INPUT",
        }
    ]
    body = await gql(client, UPDATE_QUEUE, token, input={"id": "999", "title": "x"})
    assert body["data"]["updateQueue"]["userErrors"] == [
        {"field": None, "message": "Queue 999 not found.", "code": "NOT_FOUND"}
    ]


async def test_admin_mutations_refuse_others(client, agent, customer):
    forbidden = [
        {"field": None, "message": "Only administrators may do this.", "code": "FORBIDDEN"}
    ]
    for user in (agent, customer):
        token = await token_for(user)
        body = await gql(client, CREATE_QUEUE, token, input={"title": "X", "slug": "x"})
        assert body["data"]["createQueue"] == {"queue": None, "userErrors": forbidden}
        body = await gql(client, UPDATE_USER, token, input={"id": str(user.id), "role": "ADMIN"})
        assert body["data"]["updateUser"] == {"user": None, "userErrors": forbidden}
    body = await gql(client, CREATE_QUEUE, None, input={"title": "X", "slug": "x"})
    assert codes(body) == ["UNAUTHENTICATED"]  # (a request-wide failure: a top-level error)
    assert await kinds() == []


async def test_deactivate_refuses_credentials_and_reactivate_restores(client, admin, agent):
    admin_token, agent_token = await token_for(admin), await token_for(agent)
    assert (await gql(client, "{ me { username } }", agent_token))["data"]["me"]
    body = await gql(
        client, UPDATE_USER, admin_token, input={"id": str(agent.id), "isActive": False}
    )
    assert body["data"]["updateUser"]["user"] == {
        "username": "agent",
        "role": "AGENT",
        "isActive": False,
    }
    assert codes(await gql(client, "{ me { username } }", agent_token)) == ["UNAUTHENTICATED"]
    await gql(client, UPDATE_USER, admin_token, input={"id": str(agent.id), "isActive": True})
    assert (await gql(client, "{ me { username } }", agent_token))["data"]["me"]
    body = await gql(
        client, UPDATE_USER, admin_token, input={"id": str(agent.id), "role": "CUSTOMER"}
    )
    assert body["data"]["updateUser"]["user"]["role"] == "CUSTOMER"
    assert (await gql(client, "{ me { role } }", agent_token))["data"]["me"]["role"] == "CUSTOMER"
    changes = [e.payload["changes"] for e in await Event.filter(kind="user.updated").order_by("id")]
    assert changes == [{"is_active": False}, {"is_active": True}, {"role": "customer"}]


async def test_last_admin_cannot_be_demoted_or_deactivated(client, admin):
    token = await token_for(admin)
    for change in ({"isActive": False}, {"role": "AGENT"}):
        body = await gql(client, UPDATE_USER, token, input={"id": str(admin.id), **change})
        assert body["data"]["updateUser"] == {
            "user": None,
            "userErrors": [
                {
                    "field": None,
                    "message": "The last active administrator cannot be demoted or deactivated.",
                    "code": "CONFLICT",
                }
            ],
        }


async def test_password_reset_replaces_the_old_password(client, admin, agent):
    token = await token_for(admin)
    body = await gql(
        client, SET_PASSWORD, token, input={"user": str(agent.id), "password": "fresh-secret-42"}
    )
    assert body["data"]["setPassword"] == {"user": {"username": "agent"}, "userErrors": []}
    assert codes(await gql(client, LOGIN, u="agent", p=PASSWORD)) == ["UNAUTHENTICATED"]
    assert (await gql(client, LOGIN, u="agent", p="fresh-secret-42"))["data"]["login"]["token"]
    body = await gql(client, SET_PASSWORD, token, input={"user": str(agent.id), "password": "1"})
    assert body["data"]["setPassword"]["userErrors"][0]["field"] == "password"
    assert await kinds() == ["user.password_set"]
    assert "fresh" not in str((await Event.get(kind="user.password_set")).payload)


async def test_customers_reset_only_their_own_password(client, customer, agent):
    token = await token_for(customer)
    mine = {"user": str(customer.id), "password": "my-new-secret-9"}
    assert (await gql(client, SET_PASSWORD, token, input=mine))["data"]["setPassword"]["user"]
    theirs = {"user": str(agent.id), "password": "my-new-secret-9"}
    body = await gql(client, SET_PASSWORD, token, input=theirs)
    assert body["data"]["setPassword"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_tokens_listed_and_revoked(client, admin, agent):
    admin_token, agent_token = await token_for(admin), await token_for(agent)
    everyone = (await gql(client, TOKENS, admin_token))["data"]["apiTokens"]
    assert everyone["totalCount"] == 2
    assert [e["node"]["user"]["username"] for e in everyone["edges"]] == ["admin", "agent"]
    own = (await gql(client, TOKENS, agent_token))["data"]["apiTokens"]
    assert [e["node"]["user"]["username"] for e in own["edges"]] == ["agent"]
    assert codes(await gql(client, TOKENS, agent_token, user=str(admin.id))) == ["FORBIDDEN"]
    agent_token_id = own["edges"][0]["node"]["databaseId"]
    # an agent may not see (nor revoke) an admin's token
    admin_token_id = everyone["edges"][0]["node"]["databaseId"]
    body = await gql(client, REVOKE, agent_token, id=str(admin_token_id))
    assert body["data"]["revokeApiToken"]["userErrors"][0]["code"] == "NOT_FOUND"
    body = await gql(client, REVOKE, admin_token, id=str(agent_token_id))
    assert body["data"]["revokeApiToken"] == {
        "revokedTokenId": str(agent_token_id),
        "userErrors": [],
    }
    assert codes(await gql(client, "{ me { username } }", agent_token)) == ["UNAUTHENTICATED"]
    assert await kinds() == ["token.revoked"]


async def test_logout_revokes_only_that_session(client, agent):
    first = (await gql(client, LOGIN, u="agent", p=PASSWORD))["data"]["login"]["token"]
    second = (await gql(client, LOGIN, u="agent", p=PASSWORD))["data"]["login"]["token"]
    assert (await gql(client, "{ me { username } }", first))["data"]["me"]
    body = await gql(client, LOGOUT, first)
    assert body["data"]["logout"] == {"user": {"username": "agent"}, "userErrors": []}
    assert codes(await gql(client, "{ me { username } }", first)) == ["UNAUTHENTICATED"]
    assert (await gql(client, "{ me { username } }", second))["data"]["me"]
    assert await RevokedSession.all().count() == 1
    assert await kinds() == ["session.revoked"]


async def test_logout_needs_a_login_session(client, agent):
    body = await gql(client, LOGOUT, await token_for(agent))
    assert body["data"]["logout"]["userErrors"] == [
        {
            "field": "authorization",
            "message": "Logging out ends a login session: send its JWT.",
            "code": "BAD_USER_INPUT",
        }
    ]


async def test_archived_at_is_read_through_every_query_path(client, admin):
    queue = await queues.create_queue(SYSTEM, title="Old", slug="old")
    await tickets.create_ticket(admin, title="In it", queue_id=queue.id)
    archived = await queues.update_queue(admin, queue.id, archived=True)
    token = await token_for(admin)
    listed = await gql(client, "{ queues { slug archivedAt } }", token)
    nested = await gql(
        client, "{ tickets(first: 1) { edges { node { queue { archivedAt } } } } }", token
    )
    when = listed["data"]["queues"][0]["archivedAt"]
    assert when is not None and when.startswith(archived.archived_at.strftime("%Y-%m-%dT%H:%M"))
    assert nested["data"]["tickets"]["edges"][0]["node"]["queue"]["archivedAt"] == when


SET_QUEUE_MEMBER = """mutation($input: SetQueueMemberInput!) {
  setQueueMember(input: $input) { queue { slug } userErrors { field message code } }
}"""


async def test_admins_give_agents_queues(client, admin, agent, customer):
    queue = await queues.create_queue(SYSTEM, title="Sales", slug="sales")
    change = {"queue": str(queue.id), "user": str(agent.id), "member": True}
    body = await gql(client, SET_QUEUE_MEMBER, await token_for(agent), input=change)
    assert body["data"]["setQueueMember"]["userErrors"][0]["code"] == "FORBIDDEN"
    token = await token_for(admin)
    for _ in range(2):  # twice: still one membership, one event
        body = await gql(client, SET_QUEUE_MEMBER, token, input=change)
        assert body["data"]["setQueueMember"] == {"queue": {"slug": "sales"}, "userErrors": []}
    assert [u.id for u in await queues.members_of(SYSTEM, queue.id)] == [agent.id]
    body = await gql(client, SET_QUEUE_MEMBER, token, input={**change, "user": str(customer.id)})
    assert body["data"]["setQueueMember"]["userErrors"][0]["field"] == "user"
    body = await gql(client, SET_QUEUE_MEMBER, token, input={**change, "member": False})
    assert body["data"]["setQueueMember"]["userErrors"] == []
    assert await queues.members_of(SYSTEM, queue.id) == []
    assert await kinds() == ["queue.created", "queue.member_added", "queue.member_removed"]
