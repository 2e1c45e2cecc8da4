"""The legacy django-helpdesk POST API (/helpdesk/api/<method>/): black-box over HTTP, against
reference/003_a1424700768369f8.txt and the helpdesk_legacy section of FACTS.md."""

from __future__ import annotations

import base64

import pytest

from models import Status, Ticket, User
from resolvers import clock, comments, queues, tickets, users
from resolvers.pagination import Window
from resolvers.permissions import SYSTEM
from tests.helpers import PASSWORD, gql, make_user, token_for

API = "/helpdesk/api"
COMMENTS_QUERY = """query($id: ID!) { ticket(id: $id) { status resolution
  comments(first: 20) { edges { node { body isInternal } } } } }"""


@pytest.fixture
async def queue():
    return await queues.create_queue(SYSTEM, title="Support", slug="support")


async def call(client, method: str, user: str = "agent", password: str = PASSWORD, **fields):
    return await client.post(
        f"{API}/{method}/", data={"user": user, "password": password, **fields}
    )


async def new_ticket(actor, queue, **fields):
    return await tickets.create_ticket(
        actor, title="Printer on fire", description="It burns.", queue_id=queue.id, **fields
    )


def plain(response, status: int, text: str) -> None:
    assert (response.status_code, response.text) == (status, text)
    assert response.headers["content-type"].startswith("text/plain")


async def comments_seen_by(client, user, ticket_id: int) -> list[dict]:
    data = await gql(client, COMMENTS_QUERY, await token_for(user), id=str(ticket_id))
    return [e["node"] for e in data["data"]["ticket"]["comments"]["edges"]]


# ---------------------------------------------------------------- the reference's own sample


async def test_reference_hold_ticket_sample_verbatim(client, queue):
    """`curl … --data "user=susan&password=fido&ticket=31794"` from the document."""
    susan = await make_user("susan", "agent")
    await User.filter(id=susan.id).update(password_hash=users.hash_password("fido"))
    now = clock.now()
    await Ticket.create(id=31794, title="Sample", queue_id=queue.id, created_at=now, updated_at=now)
    response = await client.post(
        f"{API}/hold_ticket/",
        content="user=susan&password=fido&ticket=31794",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    plain(response, 200, "")
    assert (await Ticket.get(id=31794)).on_hold is True


# ---------------------------------------------------------------- request basics


async def test_only_post_is_allowed(client, agent):
    for verb in ("GET", "PUT", "DELETE"):
        response = await client.request(verb, f"{API}/hold_ticket/")
        plain(response, 405, "Invalid request method")
        assert response.headers["allow"] == "POST"


async def test_help_page_answers_get(client):
    response = await client.get(f"{API}/help/")
    assert response.status_code == 200 and "create_ticket" in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_bad_credentials_and_non_staff_are_403(client, agent, customer):
    plain(await call(client, "list_queues", password="wrong"), 403, "Invalid username or password")
    plain(await call(client, "list_queues", user="nobody"), 403, "Invalid username or password")
    plain(await client.post(f"{API}/list_queues/"), 403, "Invalid username or password")
    plain(await call(client, "list_queues", user="customer"), 403, "Only staff may use this API")


async def test_unknown_method_is_a_generic_error(client, agent):
    plain(await call(client, "explode"), 400, "Error")


# ---------------------------------------------------------------- methods


async def test_create_ticket_answers_the_new_id(client, agent, customer, queue):
    response = await call(
        client,
        "create_ticket",
        queue=str(queue.id),
        title="Invoice 42 raised",
        submitter_email=customer.email,
        assigned_to=str(agent.id),
        priority="2",
        body="Please check.",
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    ticket = await tickets.get_ticket(agent, int(response.text))
    assert (ticket.title, ticket.description, ticket.priority) == (
        "Invoice 42 raised",
        "Please check.",
        2,
    )
    assert (ticket.assigned_to_id, ticket.submitter_email) == (agent.id, customer.email)
    # the submitter follows the ticket: the customer sees it through every door
    assert (await tickets.get_ticket(customer, ticket.id)).id == ticket.id
    # and, as the original's form does, the body opens the conversation publicly
    (opened,) = (await comments.list_comments(customer, ticket.id, Window())).items
    assert (opened.title, opened.body, opened.is_internal) == (
        "Ticket Opened & Assigned to Agent",
        "Please check.",
        False,
    )


async def test_create_ticket_defaults_and_description_alias(client, agent, queue):
    response = await call(client, "create_ticket", queue=str(queue.id), title="T", description="D")
    ticket = await tickets.get_ticket(agent, int(response.text))
    assert (ticket.priority, ticket.description, ticket.status) == (3, "D", Status.OPEN)


async def test_create_ticket_form_errors_as_text(client, agent, queue):
    plain(
        await call(client, "create_ticket"),
        400,
        "* queue\n  * This field is required.\n* title\n  * This field is required."
        "\n* body\n  * This field is required.",
    )
    plain(
        await call(client, "create_ticket", queue="99", title="x" * 101, body="b", priority="9"),
        400,
        "* queue\n  * Select a valid choice. 99 is not one of the available choices."
        "\n* title\n  * Ensure this value has at most 100 characters (it has 101)."
        "\n* priority\n  * Select a valid choice. 9 is not one of the available choices.",
    )
    # the form's own problems and the domain's (e-mail, assignee) answer together
    plain(
        await call(
            client, "create_ticket", queue=str(queue.id), submitter_email="x", assigned_to="999"
        ),
        400,
        "* title\n  * This field is required.\n* body\n  * This field is required."
        "\n* submitter_email\n  * Enter a valid email address."
        "\n* assigned_to\n  * Select a valid choice. 999 is not one of the available choices.",
    )


async def test_delete_ticket_needs_confirmation(client, agent, queue):
    ticket = await new_ticket(agent, queue)
    plain(
        await call(client, "delete_ticket", ticket=str(ticket.id)), 400, "No confirmation provided"
    )
    plain(await call(client, "delete_ticket", ticket="999", confirm="1"), 404, "Invalid ticket ID")
    plain(await call(client, "delete_ticket", ticket=str(ticket.id), confirm="yes"), 200, "")
    assert not await Ticket.filter(id=ticket.id).exists()


async def test_hold_and_unhold(client, agent, queue):
    ticket = await new_ticket(agent, queue)
    plain(await call(client, "hold_ticket", ticket=str(ticket.id)), 200, "")
    assert (await tickets.get_ticket(agent, ticket.id)).on_hold is True
    plain(await call(client, "unhold_ticket", ticket=str(ticket.id)), 200, "")
    assert (await tickets.get_ticket(agent, ticket.id)).on_hold is False
    plain(await call(client, "hold_ticket", ticket="abc"), 404, "Invalid ticket ID")


async def test_add_followup_public_flag_across_doors(client, agent, customer, queue):
    ticket = await new_ticket(customer, queue)
    tid = str(ticket.id)
    plain(await call(client, "add_followup", ticket=tid, message="private by default"), 200, "")
    plain(await call(client, "add_followup", ticket=tid, message="internal", public="n"), 200, "")
    plain(await call(client, "add_followup", ticket=tid, message="hello", public="y"), 200, "")
    assert await comments_seen_by(client, customer, ticket.id) == [
        {"body": "hello", "isInternal": False}
    ]
    assert [c["isInternal"] for c in await comments_seen_by(client, agent, ticket.id)] == [
        True,
        True,
        False,
    ]
    plain(
        await call(client, "add_followup", ticket=tid, message="x", public="maybe"),
        400,
        "Invalid 'public' flag",
    )
    plain(await call(client, "add_followup", ticket=tid, message=" "), 400, "Blank message")
    plain(await call(client, "add_followup", ticket="999", message="x"), 404, "Invalid ticket ID")


async def test_resolve(client, agent, customer, queue):
    ticket = await new_ticket(customer, queue)
    plain(await call(client, "resolve", ticket=str(ticket.id)), 400, "Blank resolution")
    plain(await call(client, "resolve", ticket=str(ticket.id), resolution="Rebooted"), 200, "")
    data = await gql(client, COMMENTS_QUERY, await token_for(customer), id=str(ticket.id))
    seen = data["data"]["ticket"]
    assert (seen["status"], seen["resolution"]) == ("RESOLVED", "Rebooted")
    assert seen["comments"]["edges"] == [{"node": {"body": "Rebooted", "isInternal": False}}]
    page = await comments.list_comments(agent, ticket.id, Window())
    assert page.items[0].title == "Resolved"


async def test_list_queues_is_text_json(client, agent, queue):
    other = await queues.create_queue(SYSTEM, title="Billing", slug="billing")
    response = await call(client, "list_queues")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/json")
    assert response.json() == [
        {"id": str(queue.id), "title": "Support"},
        {"id": str(other.id), "title": "Billing"},
    ]


async def test_find_user_is_case_sensitive(client, agent, customer):
    plain(await call(client, "find_user", username="customer"), 200, str(customer.id))
    plain(await call(client, "find_user", username="Customer"), 400, "Invalid username provided")
    plain(await call(client, "find_user"), 400, "Invalid username provided")


async def test_rest_sees_legacy_changes(client, agent, queue):
    ticket = await new_ticket(agent, queue)
    await call(client, "hold_ticket", ticket=str(ticket.id))
    raw = base64.b64encode(f"agent:{PASSWORD}".encode()).decode()
    rest = await client.get(
        f"{API}/tickets/{ticket.id}/", headers={"Authorization": f"Basic {raw}"}
    )
    assert rest.json()["on_hold"] is True


async def test_out_of_range_ticket_id_is_not_found(client, agent):
    plain(await call(client, "hold_ticket", ticket="9" * 20), 404, "Invalid ticket ID")


async def test_refused_change_is_a_400_with_the_reason(client, agent, queue):
    ticket = await new_ticket(agent, queue)
    await tickets.set_status(agent, ticket.id, "closed")
    response = await call(client, "resolve", ticket=str(ticket.id), resolution="late")
    plain(response, 400, "Cannot change status from closed to resolved.")
    assert await comments_seen_by(client, agent, ticket.id) == []  # nothing half-done


@pytest.mark.parametrize("username", ["agent\x00", "9" * 5000])
async def test_find_user_with_an_impossible_username_is_a_plain_400(client, agent, username):
    """Found by fuzzing: a NUL (PostgreSQL) or an over-long name (the ORM's length check) was
    a 500."""
    response = await call(client, "find_user", username=username)
    plain(response, 400, "Invalid username provided")
