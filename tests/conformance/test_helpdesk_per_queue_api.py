"""django-helpdesk 2.6.1's `tests/test_per_queue_staff_permission.py`, its API part
(PerQueueApiAuthorizationTestCase), ported to HTTP against /helpdesk/api/. The other classes
there test the staff web UI (dashboard, reports, RSS, …), which ticketgate does not have.

`per_queue_client` turns HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION on or off and
`grant_queue` gives an agent a queue (issue 17 difference 12, docs/helpdesk.md).
"""

from __future__ import annotations

import pytest

from resolvers import comments, queues, tickets
from resolvers.files import LocalStorage, NewFile
from resolvers.permissions import SYSTEM
from tests.conformance.helpdesk import API, basic, django_user, queue, ticket

STAFF, ROOT = basic("restricted_staff", "pass"), basic("root", "pass")


def per_queue_client(client_with, enabled: bool):
    """An app with HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION on or off."""
    return client_with(helpdesk_enable_per_queue_staff_permission=enabled)


async def grant_queue(user, the_queue) -> None:
    """`user.user_permissions.add(<the queue's permission>)`."""
    await queues.add_member(SYSTEM, the_queue.id, user.id)


@pytest.fixture
async def world(settings):
    """setUp: queues A and B, a staff member with access to A only, a superuser, a ticket in
    each queue, and in B an internal followup with an attachment."""
    queue_a, queue_b = await queue("Queue A", "qa"), await queue("Queue B", "qb")
    staff = await django_user(
        "restricted_staff", is_staff=True, email="staff@example.com", password="pass"
    )
    await grant_queue(staff, queue_a)
    await django_user(
        "root", is_staff=True, is_superuser=True, email="r@example.com", password="pass"
    )
    ticket_a = await ticket(queue_a, "Ticket in A")
    ticket_b = await ticket(queue_b, "Ticket in B", description="CONFIDENTIAL")
    followup_b = await comments.add_comment(
        SYSTEM,
        ticket_b.id,
        "not for you",
        title="Internal note",
        is_internal=True,
        files=[NewFile("secret.txt", "text/plain", b"secret")],
        storage=LocalStorage(settings.data_dir / "files"),
    )
    return {
        "queue_a": queue_a,
        "queue_b": queue_b,
        "staff": staff,
        "ticket_a": ticket_a,
        "ticket_b": ticket_b,
        "followup_b": followup_b,
    }


@pytest.fixture
async def client(client_with, world):
    async with per_queue_client(client_with, enabled=True) as c:
        yield c


async def attachment_b_id(client, world) -> int:
    followup = await client.get(f"{API}/followups/{world['followup_b'].id}/", headers=ROOT)
    return followup.json()["followupattachment_set"][0]["id"]


async def ticket_ids(client, headers) -> list[int]:
    response = await client.get(f"{API}/tickets/", headers=headers)
    assert response.status_code == 200
    return [t["id"] for t in response.json()["results"]]


# ---------------------------------------------------------------- reads


async def test_ticket_list_only_shows_permitted_queues(client, world):
    """PerQueueApiAuthorizationTestCase.test_ticket_list_only_shows_permitted_queues"""
    ids = await ticket_ids(client, STAFF)
    assert world["ticket_a"].id in ids
    assert world["ticket_b"].id not in ids


async def test_foreign_ticket_cannot_be_retrieved(client, world):
    """PerQueueApiAuthorizationTestCase.test_foreign_ticket_cannot_be_retrieved"""
    response = await client.get(f"{API}/tickets/{world['ticket_b'].id}/", headers=STAFF)
    assert response.status_code == 404
    assert b"CONFIDENTIAL" not in response.content


async def test_foreign_internal_followup_cannot_be_retrieved(client, world):
    """PerQueueApiAuthorizationTestCase.test_foreign_internal_followup_cannot_be_retrieved"""
    response = await client.get(f"{API}/followups/{world['followup_b'].id}/", headers=STAFF)
    assert response.status_code == 404
    assert b"not for you" not in response.content


async def test_foreign_attachment_cannot_be_retrieved(client, world):
    """PerQueueApiAuthorizationTestCase.test_foreign_attachment_cannot_be_retrieved"""
    attachment_id = await attachment_b_id(client, world)
    response = await client.get(f"{API}/followups-attachments/{attachment_id}/", headers=STAFF)
    assert response.status_code == 404
    assert b"secret.txt" not in response.content


# ---------------------------------------------------------------- writes


async def test_foreign_ticket_cannot_be_modified(client, world):
    """PerQueueApiAuthorizationTestCase.test_foreign_ticket_cannot_be_modified"""
    path = f"{API}/tickets/{world['ticket_b'].id}/"
    response = await client.patch(path, json={"title": "hijacked"}, headers=STAFF)
    assert response.status_code == 404
    assert (await client.get(path, headers=ROOT)).json()["title"] == "Ticket in B"


async def _titles_of_followups(client, ticket_id: int) -> list[str]:
    response = await client.get(f"{API}/tickets/{ticket_id}/", headers=ROOT)
    return [f["title"] for f in response.json()["followup_set"]]


async def test_followup_cannot_be_created_against_a_foreign_ticket(client, world):
    """PerQueueApiAuthorizationTestCase.test_followup_cannot_be_created_against_a_foreign_ticket"""
    body = {"ticket": world["ticket_b"].id, "title": "intrusion", "comment": "x"}
    response = await client.post(f"{API}/followups/", json=body, headers=STAFF)
    assert response.status_code == 400
    assert "ticket" in response.json()
    assert "intrusion" not in await _titles_of_followups(client, world["ticket_b"].id)


async def test_ticket_creation_in_a_foreign_queue_is_rejected_by_the_serializer(client, world):
    """PerQueueApiAuthorizationTestCase.
    test_ticket_creation_in_a_foreign_queue_is_rejected_by_the_serializer"""
    body = {
        "queue": world["queue_b"].id,
        "title": "planted",
        "description": "x",
        "submitter_email": "a@example.com",
        "priority": 3,
    }
    response = await client.post(f"{API}/tickets/", json=body, headers=STAFF)
    assert response.status_code == 400
    assert "queue" in response.json()
    listed = await client.get(f"{API}/tickets/", headers=ROOT)
    assert "planted" not in [t["title"] for t in listed.json()["results"]]


# ---------------------------------------------------------------- positive controls


async def test_permitted_queue_is_still_reachable(client, world):
    """PerQueueApiAuthorizationTestCase.test_permitted_queue_is_still_reachable"""
    response = await client.get(f"{API}/tickets/{world['ticket_a'].id}/", headers=STAFF)
    assert response.status_code == 200


async def test_followup_can_be_created_on_a_permitted_ticket(client, world):
    """PerQueueApiAuthorizationTestCase.test_followup_can_be_created_on_a_permitted_ticket"""
    body = {"ticket": world["ticket_a"].id, "title": "legitimate", "comment": "x"}
    response = await client.post(f"{API}/followups/", json=body, headers=STAFF)
    assert response.status_code == 201, response.text


async def test_ticket_assigned_to_the_user_stays_reachable_outside_their_queues(client, world):
    """PerQueueApiAuthorizationTestCase.
    test_ticket_assigned_to_the_user_stays_reachable_outside_their_queues"""
    await tickets.assign(SYSTEM, world["ticket_b"].id, world["staff"].id)
    response = await client.get(f"{API}/tickets/{world['ticket_b'].id}/", headers=STAFF)
    assert response.status_code == 200


async def test_superuser_can_retrieve_the_followup_and_attachment(client, world):
    """PerQueueApiAuthorizationTestCase.test_superuser_can_retrieve_the_followup_and_attachment"""
    followup = await client.get(f"{API}/followups/{world['followup_b'].id}/", headers=ROOT)
    assert followup.status_code == 200
    attachment_id = await attachment_b_id(client, world)
    attachment = await client.get(f"{API}/followups-attachments/{attachment_id}/", headers=ROOT)
    assert attachment.status_code == 200


async def test_superuser_sees_every_queue(client, world):
    """PerQueueApiAuthorizationTestCase.test_superuser_sees_every_queue"""
    ids = await ticket_ids(client, ROOT)
    assert world["ticket_a"].id in ids
    assert world["ticket_b"].id in ids


async def test_nothing_changes_when_per_queue_permissions_are_disabled(client_with, world):
    """PerQueueApiAuthorizationTestCase.test_nothing_changes_when_per_queue_permissions_are_disabled"""
    async with per_queue_client(client_with, enabled=False) as client:
        ids = await ticket_ids(client, STAFF)
    assert world["ticket_a"].id in ids
    assert world["ticket_b"].id in ids
