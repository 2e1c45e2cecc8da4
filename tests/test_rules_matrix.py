"""Every rule at every door (tests/doors/adapters.py): each test states a rule once and checks
it through each door that has the operation, in that door's own error shape: customer
isolation, per-queue staff permission, internal comments hidden, an illegal transition, NUL
refused, an out-of-range id, an oversized body, a wrong credential, a deactivated user and a
revoked token."""

from __future__ import annotations

import pytest

from models import ApiToken
from resolvers import comments, queues, tickets, users
from resolvers import tokens as api_tokens
from resolvers.pagination import Window
from resolvers.permissions import SYSTEM
from tests.doors.adapters import BIG_ID, DOORS, Door

LIMIT = 4096  # bytes: the body limit of the app under test
# What a door answers where the others answer the common kind.
NUL_KIND = {"nephthys": "not_found"}  # a Slack id with a NUL matches nobody
FOREIGN_KIND = {"helpdesk_legacy": "forbidden"}  # staff only: customers get nothing
BIG_ID_KIND = {"graphql": "invalid"}  # an ID argument no id column can hold is bad input
# django-helpdesk's API has no status flow: staff set what they send (issue 17 difference 6).
ANY_STATUS = {"helpdesk"}
# DRF validates the followup's `ticket` field: a ticket out of reach is a 400 on it.
FOREIGN_QUEUE_COMMENT_KIND = {"helpdesk": "invalid"}
# DRF and the legacy form answer every authentication failure 403.
STRANGER_KIND = {"helpdesk": "forbidden", "helpdesk_legacy": "forbidden"}


@pytest.fixture(params=DOORS, ids=lambda d: d.name)
async def door(request, client_with):
    async with client_with(max_body_bytes=LIMIT, graphql_max_body_bytes=LIMIT) as client:
        yield request.param(client)


def needs(door: Door, *methods: str) -> None:
    missing = [m for m in methods if not hasattr(door, m)]
    if missing or ("create" in methods and not door.can_write):
        pytest.skip(f"{door.name} has no {', '.join(missing or methods)}")


async def test_customers_see_only_their_own_tickets(door, customer, other_customer):
    mine = await tickets.create_ticket(customer, title="mine")
    who = await door.act_as(other_customer)
    answer = await door.get(who, mine.id)
    assert door.kind(answer) == FOREIGN_KIND.get(door.name, "not_found")
    if hasattr(door, "list_ids") and door.name != "helpdesk_legacy":
        theirs = await tickets.create_ticket(other_customer, title="theirs")
        assert await door.list_ids(who) == [theirs.id]


@pytest.fixture(params=DOORS, ids=lambda d: d.name)
async def per_queue_door(request, client_with):
    async with client_with(helpdesk_enable_per_queue_staff_permission=True) as client:
        yield request.param(client)


async def test_an_agent_with_per_queue_permission_reaches_only_its_queues(
    per_queue_door, agent, customer
):
    """HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION: an agent reaches the tickets of its queues
    and those assigned to it, nothing else (not found, as for a customer)."""
    door = per_queue_door
    mine = await queues.create_queue(SYSTEM, title="Mine", slug="mine")
    other = await queues.create_queue(SYSTEM, title="Other", slug="other")
    await queues.add_member(SYSTEM, mine.id, agent.id)
    ours = await tickets.create_ticket(customer, title="ours", queue_id=mine.id)
    foreign = await tickets.create_ticket(customer, title="foreign", queue_id=other.id)
    assigned = await tickets.create_ticket(customer, title="assigned", queue_id=other.id)
    await tickets.assign(SYSTEM, assigned.id, agent.id)
    who = await door.act_as(agent)
    assert door.kind(await door.get(who, foreign.id)) == "not_found"
    for reachable in (ours, assigned):
        assert door.found(await door.get(who, reachable.id))
    if hasattr(door, "list_ids") and door.name != "helpdesk_legacy":
        assert sorted(await door.list_ids(who)) == [ours.id, assigned.id]
    if door.can_write:
        answer = await door.comment(who, foreign.id, "let me in")
        assert door.kind(answer) == FOREIGN_QUEUE_COMMENT_KIND.get(door.name, "not_found")
        assert (await comments.list_comments(SYSTEM, foreign.id, Window(0, 10))).items == []


async def test_customers_never_see_internal_comments(door, agent, customer):
    needs(door, "comment_bodies")
    if not door.customers_read_comments:
        pytest.skip(f"customers read no comments at {door.name}")
    ticket = await tickets.create_ticket(customer, title="help")
    await comments.add_comment(agent, ticket.id, "public answer")
    await comments.add_comment(agent, ticket.id, "internal note", is_internal=True)
    seen = await door.comment_bodies(await door.act_as(customer), ticket.id)
    assert "internal note" not in seen and "public answer" in seen


async def test_an_illegal_transition_is_refused(door, agent, customer):
    if not door.can_change_status:
        pytest.skip(f"{door.name} sets no status")
    ticket = await tickets.create_ticket(customer, title="done")
    await tickets.set_status(agent, ticket.id, "closed")  # closed → resolved is not allowed
    answer = await door.set_status(await door.act_as(agent), ticket.id, "resolved")
    if door.name in ANY_STATUS:
        assert (await tickets.get_ticket(SYSTEM, ticket.id)).status == "resolved"
        return
    assert door.kind(answer) == "conflict"
    assert (await tickets.get_ticket(SYSTEM, ticket.id)).status == "closed"


async def test_text_with_a_nul_is_refused(door, agent):
    answer = await door.nul(await door.act_as(agent))
    assert door.kind(answer) == NUL_KIND.get(door.name, "invalid")


async def test_an_id_out_of_range_is_not_found(door, agent):
    answer = await door.get(await door.act_as(agent), BIG_ID)
    assert door.kind(answer) == BIG_ID_KIND.get(door.name, "not_found")


async def test_an_oversized_body_is_refused(door, agent):
    answer = await door.oversized(await door.act_as(agent), LIMIT * 2)
    assert answer.status_code in (413, 200)  # GraphQL answers its errors with 200 or 413
    assert door.kind(answer) == "too_large"


async def test_a_wrong_credential_is_refused(door, customer):
    ticket = await tickets.create_ticket(customer, title="private")
    answer = await door.get(door.stranger(), ticket.id)
    assert door.kind(answer) == STRANGER_KIND.get(door.name, "unauthenticated")


async def test_a_deactivated_user_is_refused_at_once(door, agent, customer):
    ticket = await tickets.create_ticket(customer, title="private")
    who = await door.act_as(agent)
    assert door.found(await door.get(who, ticket.id))  # (also caches the credential)
    await users.update_user(SYSTEM, agent.id, is_active=False)
    answer = await door.get(who, ticket.id)
    assert door.kind(answer) == STRANGER_KIND.get(door.name, "unauthenticated")


async def test_a_revoked_token_is_refused_at_once(door, agent, customer):
    ticket = await tickets.create_ticket(customer, title="private")
    who = await door.act_as(agent)
    if "password" in who:
        pytest.skip(f"{door.name} signs in with a password, not a token")
    assert door.found(await door.get(who, ticket.id))  # (also caches the credential)
    for token in await ApiToken.filter(user_id=agent.id):
        await api_tokens.revoke_token(SYSTEM, token.id)
    answer = await door.get(who, ticket.id)
    assert door.kind(answer) == STRANGER_KIND.get(door.name, "unauthenticated")
