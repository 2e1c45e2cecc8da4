"""django-helpdesk 2.6.1's `tests/test_api.py`, ported test by test to HTTP against
/helpdesk/api/ (docs/conformance.md says which upstream version; helpers in helpdesk.py).

Same requests, status codes, field names and values; a `Model.objects…` check becomes a GET
through the door. Where ticketgate differs today the test is a strict xfail naming the
difference of issue 17 it waits for.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conformance.helpdesk import (
    API,
    SUBMITTER_NOT_OWNER,
    all_tickets,
    basic,
    django_user,
    patch_form,
    post_form,
    put_form,
    queue,
    ticket,
    token,
)
from tests.helpers import gql

OPEN_STATUS, RESOLVED_STATUS = 1, 3
REQUIRED = ["This field is required."]
DATETIME_FORMAT_ERROR = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
# CustomField.DATA_TYPE_CHOICES, in order, as HELPDESK_CUSTOM_FIELDS definitions.
CUSTOM_TYPES = [
    ("varchar", "Character (single line)"),
    ("text", "Text (multi-line)"),
    ("integer", "Integer"),
    ("decimal", "Decimal"),
    ("list", "List"),
    ("boolean", "Boolean (checkbox yes/no)"),
    ("date", "Date"),
    ("time", "Time"),
    ("datetime", "Date & Time"),
    ("email", "E-Mail Address"),
    ("url", "URL"),
    ("ipaddress", "IP Address"),
    ("slug", "Slug"),
]


def _custom_field(field_type: str, label: str) -> dict:
    definition = {"name": field_type, "label": label, "data_type": field_type}
    if field_type in ("varchar", "text"):
        definition["max_length"] = 10
    if field_type == "integer":
        definition["required"] = True
    if field_type == "decimal":
        definition.update(max_length=7, decimal_places=3)
    if field_type == "list":
        definition["choices"] = ["Green", "Blue", "Red", "Yellow"]
    return definition


@pytest.fixture
async def test_queue():
    """TicketTest.setUpTestData: `Queue(title="Test Queue", slug="test-queue")`."""
    return await queue("Test Queue", "test-queue")


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _get_ticket(client, headers, ticket_id: int) -> dict:
    response = await client.get(f"{API}/tickets/{ticket_id}/", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------- TicketTest


async def test_create_api_ticket_not_authenticated_user(client, test_queue):
    """TicketTest.test_create_api_ticket_not_authenticated_user"""
    response = await client.post(f"{API}/tickets/")
    assert response.status_code == 403


async def test_create_api_ticket_authenticated_non_staff_user(client, test_queue):
    """TicketTest.test_create_api_ticket_authenticated_non_staff_user"""
    non_staff_user = await django_user("test")
    response = await client.post(f"{API}/tickets/", headers=await token(non_staff_user))
    assert response.status_code == 403


async def test_create_api_ticket_no_data(client, test_queue):
    """TicketTest.test_create_api_ticket_no_data"""
    staff = await token(await django_user("test", is_staff=True))
    response = await client.post(f"{API}/tickets/", headers=staff)
    assert response.status_code == 400
    assert response.json() == {"queue": REQUIRED, "title": REQUIRED}
    assert await all_tickets(client, staff) == []


async def test_create_api_ticket_wrong_date_format(client, test_queue):
    """TicketTest.test_create_api_ticket_wrong_date_format"""
    staff = await token(await django_user("test", is_staff=True))
    data = {"queue": test_queue.id, "title": "Test title", "due_date": "monday, 1st of may 2022"}
    response = await post_form(client, "/tickets/", data, staff)
    assert response.status_code == 400
    assert response.json() == {"due_date": [DATETIME_FORMAT_ERROR]}
    assert await all_tickets(client, staff) == []


async def test_create_api_ticket_authenticated_staff_user(client, test_queue):
    """TicketTest.test_create_api_ticket_authenticated_staff_user"""
    staff = await token(await django_user("test", is_staff=True))
    data = {
        "queue": test_queue.id,
        "title": "Test title",
        "description": "Test description\nMulti lines",
        "submitter_email": "test@mail.com",
        "priority": 4,
    }
    response = await post_form(client, "/tickets/", data, staff)
    assert response.status_code == 201, response.text
    (created,) = await all_tickets(client, staff)
    assert created["title"] == "Test title"
    assert created["description"] == "Test description\nMulti lines"
    assert created["submitter_email"] == "test@mail.com"
    assert created["priority"] == 4
    assert len(created["followup_set"]) == 1


async def test_create_api_ticket_with_basic_auth(client, test_queue):
    """TicketTest.test_create_api_ticket_with_basic_auth"""
    await django_user("admin", password="admin", is_staff=True)
    test_user = await django_user("test")
    merge_ticket = await ticket(test_queue, "merge ticket")
    due_date = datetime.now(UTC) - timedelta(days=20)
    data = {
        "queue": test_queue.id,
        "title": "Title",
        "description": "Description",
        "resolution": "Resolution",
        "assigned_to": test_user.id,
        "submitter_email": "test@mail.com",
        "status": RESOLVED_STATUS,
        "priority": 1,
        "on_hold": True,
        "due_date": due_date,
        "merged_to": merge_ticket.id,
    }
    headers = basic("admin", "admin")
    response = await post_form(client, "/tickets/", data, headers)
    assert response.status_code == 201, response.text
    created = (await all_tickets(client, headers))[-1]
    assert created["title"] == "Title"
    assert created["description"] == "Description"
    assert created["resolution"] is None  # resolution can not be set on creation
    assert created["assigned_to"] == test_user.id
    assert created["submitter_email"] == "test@mail.com"
    assert created["priority"] == 1
    assert created["on_hold"] is False  # on_hold is False on creation
    assert created["status"] == OPEN_STATUS  # status is always open on creation
    assert _when(created["due_date"]) == due_date
    assert created["merged_to"] is None  # merged_to can not be set on creation


async def test_edit_api_ticket(client, test_queue):
    """TicketTest.test_edit_api_ticket"""
    staff = await token(await django_user("admin", is_staff=True))
    test_ticket = await ticket(test_queue, "Test ticket")
    test_user = await django_user("test")
    merge_ticket = await ticket(test_queue, "merge ticket")
    due_date = datetime.now(UTC) - timedelta(days=20)
    data = {
        "queue": test_queue.id,
        "title": "Title",
        "description": "Description",
        "resolution": "Resolution",
        "assigned_to": test_user.id,
        "submitter_email": "test@mail.com",
        "status": RESOLVED_STATUS,
        "priority": 1,
        "on_hold": True,
        "due_date": due_date,
        "merged_to": merge_ticket.id,
    }
    response = await put_form(client, f"/tickets/{test_ticket.id}/", data, staff)
    assert response.status_code == 200, response.text
    edited = await _get_ticket(client, staff, test_ticket.id)
    assert edited["title"] == "Title"
    assert edited["description"] == "Description"
    assert edited["resolution"] == "Resolution"
    assert edited["assigned_to"] == test_user.id
    assert edited["submitter_email"] == "test@mail.com"
    assert edited["priority"] == 1
    assert edited["on_hold"] is True
    assert edited["status"] == RESOLVED_STATUS
    assert _when(edited["due_date"]) == due_date
    assert edited["merged_to"] == merge_ticket.id


async def test_partial_edit_api_ticket(client, test_queue):
    """TicketTest.test_partial_edit_api_ticket"""
    staff = await token(await django_user("admin", is_staff=True))
    test_ticket = await ticket(test_queue, "Test ticket")
    data = {"description": "New description"}
    response = await patch_form(client, f"/tickets/{test_ticket.id}/", data, staff)
    assert response.status_code == 200, response.text
    assert (await _get_ticket(client, staff, test_ticket.id))["description"] == "New description"


async def test_delete_api_ticket(client, test_queue):
    """TicketTest.test_delete_api_ticket"""
    staff = await token(await django_user("admin", is_staff=True))
    test_ticket = await ticket(test_queue, "Test ticket")
    response = await client.delete(f"{API}/tickets/{test_ticket.id}/", headers=staff)
    assert response.status_code == 204
    assert await all_tickets(client, staff) == []


@pytest.mark.xfail(
    strict=True,
    reason="email_recipients: [] where the original lists the submitter it e-mailed: "
    "ticketgate sends no e-mail (kept on purpose, docs/helpdesk.md); the rest matches",
)
async def test_create_api_ticket_with_custom_fields(client_with, test_queue):
    """TicketTest.test_create_api_ticket_with_custom_fields. The original freezes the clock to
    know the followup's `date`; here the date must fall within the request instead."""
    fields = json.dumps([_custom_field(t, label) for t, label in CUSTOM_TYPES])
    custom_date, custom_time = "2022-04-11", "23:59:59"
    custom_datetime = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    staff_user = await django_user("test", is_staff=True)
    staff = await token(staff_user)
    ticket_data = {
        "queue": test_queue.id,
        "title": "Test title",
        "description": "Test description\nMulti lines",
        "submitter_email": "test@mail.com",
        "priority": 4,
    }
    async with client_with(helpdesk_custom_fields=fields) as client:
        # Test creation without providing required field
        response = await post_form(client, "/tickets/", ticket_data, staff)
        assert response.status_code == 400
        assert response.json() == {"custom_integer": REQUIRED}

        # Test creation with custom field values
        before = datetime.now(UTC)
        data = {
            **ticket_data,
            "custom_varchar": "test",
            "custom_text": "multi\nline",
            "custom_integer": "1",
            "custom_decimal": "42.987",
            "custom_list": "Red",
            "custom_boolean": True,
            "custom_date": custom_date,
            "custom_time": custom_time,
            "custom_datetime": custom_datetime,
            "custom_email": "email@test.com",
            "custom_url": "http://django-helpdesk.readthedocs.org/",
            "custom_ipaddress": "127.0.0.1",
            "custom_slug": "test-slug",
        }
        response = await post_form(client, "/tickets/", data, staff)
        after = datetime.now(UTC)
    assert response.status_code == 201, response.text
    body = response.json()
    date = body["followup_set"][0]["date"]
    assert before - timedelta(seconds=1) <= _when(date) <= after + timedelta(seconds=1)
    assert body == {
        "id": 1,
        "queue": 1,
        "title": "Test title",
        "description": "Test description\nMulti lines",
        "resolution": None,
        "submitter_email": "test@mail.com",
        "assigned_to": None,
        "status": 1,
        "on_hold": False,
        "priority": 4,
        "due_date": None,
        "merged_to": None,
        "followup_set": [
            {
                "id": 1,
                "ticket": 1,
                "user": staff_user.id,
                "title": "Ticket Opened",
                "comment": "Test description\nMulti lines",
                "public": True,
                "new_status": None,
                "time_spent": None,
                "followupattachment_set": [],
                "date": date,
                "message_id": None,
                "email_recipients": ["test@mail.com"],
            }
        ],
        "custom_varchar": "test",
        "custom_text": "multi\nline",
        "custom_integer": 1,
        "custom_decimal": "42.987",
        "custom_list": "Red",
        "custom_boolean": True,
        "custom_date": custom_date,
        "custom_time": custom_time,
        "custom_datetime": custom_datetime,
        "custom_email": "email@test.com",
        "custom_url": "http://django-helpdesk.readthedocs.org/",
        "custom_ipaddress": "127.0.0.1",
        "custom_slug": "test-slug",
    }


async def test_create_api_ticket_with_attachment(client, test_queue):
    """TicketTest.test_create_api_ticket_with_attachment. The original's last check is the
    stored path (`helpdesk/attachments/test-queue-1-<secret>/1/file.jpg`), a server detail
    behind MEDIA_URL; here: the attachment's name and the bytes its `file` URL serves."""
    staff = await token(await django_user("test", is_staff=True))
    data = {
        "queue": test_queue.id,
        "title": "Test title",
        "description": "Test description\nMulti lines",
        "submitter_email": "test@mail.com",
        "priority": 4,
        "attachment": ("file.jpg", b"file_content", "image/jpg"),
    }
    response = await post_form(client, "/tickets/", data, staff)
    assert response.status_code == 201, response.text
    (created,) = await all_tickets(client, staff)
    assert created["title"] == "Test title"
    assert created["description"] == "Test description\nMulti lines"
    assert created["submitter_email"] == "test@mail.com"
    assert created["priority"] == 4
    (followup,) = created["followup_set"]
    (attachment,) = followup["followupattachment_set"]
    assert attachment["filename"] == "file.jpg"
    assert (await client.get(attachment["file"], headers=staff)).content == b"file_content"


async def test_create_follow_up_with_attachments(client, test_queue):
    """TicketTest.test_create_follow_up_with_attachments"""
    staff = await token(await django_user("test", is_staff=True))
    made = await ticket(test_queue, "Test")
    data = {
        "ticket": made.id,
        "title": "Test",
        "comment": "Test answer\nMulti lines",
        "attachments": [
            ("file.jpg", b"file_content", "image/jpg"),
            ("doc.pdf", b"Doc content", "application/pdf"),
        ],
    }
    response = await post_form(client, "/followups/", data, staff)
    assert response.status_code == 201, response.text
    created_followup = (await _get_ticket(client, staff, made.id))["followup_set"][-1]
    assert created_followup["title"] == "Test"
    assert created_followup["comment"] == "Test answer\nMulti lines"
    files = created_followup["followupattachment_set"]
    assert len(files) == 2
    assert files[0]["filename"] == "doc.pdf"
    assert files[0]["mime_type"] == "application/pdf"
    assert files[-1]["filename"] == "file.jpg"
    assert files[-1]["mime_type"] == "image/jpg"


# ---------------------------------------------------------------- UserTicketTest


@pytest.fixture
async def user_ticket_setup():
    """UserTicketTest.setUp: a queue (its slug is required here) and a user without e-mail."""
    return await queue("Test queue", "test-queue"), await django_user("test")


@pytest.mark.xfail(strict=True, reason=SUBMITTER_NOT_OWNER)
async def test_get_user_tickets(client, user_ticket_setup):
    """UserTicketTest.test_get_user_tickets"""
    test_queue, _ = user_ticket_setup
    user = await django_user("test2", email="foo@example.com")
    ticket_1 = await ticket(test_queue, "Test 1", submitter_email="foo@example.com")
    await ticket(test_queue, "Test 2", submitter_email="bar@example.com")
    ticket_3 = await ticket(test_queue, "Test 3", submitter_email="foo@example.com")
    response = await client.get(f"{API}/user_tickets/", headers=await token(user))
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 2
    assert results[0]["id"] == ticket_3.id
    assert results[1]["id"] == ticket_1.id


async def test_staff_user(client, user_ticket_setup):
    """UserTicketTest.test_staff_user"""
    test_queue, _ = user_ticket_setup
    staff_user = await django_user("test2", is_staff=True, email="staff@example.com")
    await ticket(test_queue, "Test 1", submitter_email="staff@example.com")
    await ticket(test_queue, "Test 2", submitter_email="foo@example.com")
    response = await client.get(f"{API}/user_tickets/", headers=await token(staff_user))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


async def test_not_logged_in_user(client, user_ticket_setup):
    """UserTicketTest.test_not_logged_in_user"""
    test_queue, _ = user_ticket_setup
    await ticket(test_queue, "Test 1", submitter_email="ex@example.com")
    response = await client.get(f"{API}/user_tickets/")
    assert response.status_code == 403


# ---------------------------------------------------------------- CreateUserTest
# `auth.add_user` has no ticketgate twin: only admins create users, so "staff with add_user"
# is an admin and "staff without it" an agent (docs/helpdesk.md, Users).

PAYLOAD = {
    "username": "new-user",
    "first_name": "New",
    "last_name": "User",
    "email": "new-user@example.com",
    "password": "a-long-and-unremarkable-passphrase",
}
USERS_QUERY = (
    '{ users(first: 10, filter: {search: "new-user"}) { edges { node { username isActive } } } }'
)


async def _post_payload(client, headers, **overrides):
    return await post_form(client, "/users/", {**PAYLOAD, **overrides}, headers)


async def _created_users(client) -> list[dict]:
    """`User.objects.filter(username="new-user")`, read as an admin through GraphQL."""
    observer = await django_user("observer", is_superuser=True)
    _, raw = (await token(observer))["Authorization"].split(" ", 1)
    body = await gql(client, USERS_QUERY, raw)
    nodes = [edge["node"] for edge in body["data"]["users"]["edges"]]
    return [n for n in nodes if n["username"] == PAYLOAD["username"]]


async def _can_log_in(client, password: str) -> bool:
    """`created_user.check_password(password)`: the new account's Basic credentials work."""
    response = await client.get(f"{API}/user_tickets/", headers=basic("new-user", password))
    return response.status_code == 200


async def test_create_user_staff_without_add_user_permission(client):
    """CreateUserTest.test_create_user_staff_without_add_user_permission"""
    staff = await token(await django_user("staff", is_staff=True))
    response = await _post_payload(client, staff)
    assert response.status_code == 403
    assert await _created_users(client) == []


async def test_create_user_non_staff_with_add_user_permission(client):
    """CreateUserTest.test_create_user_non_staff_with_add_user_permission (a non-staff account
    cannot hold the add-user permission here: a customer)"""
    permitted = await token(await django_user("permitted"))
    response = await _post_payload(client, permitted)
    assert response.status_code == 403
    assert await _created_users(client) == []


async def test_create_user_not_authenticated(client):
    """CreateUserTest.test_create_user_not_authenticated"""
    response = await _post_payload(client, {})
    assert response.status_code == 403
    assert await _created_users(client) == []


async def test_create_user_staff_with_add_user_permission(client):
    """CreateUserTest.test_create_user_staff_with_add_user_permission (the original also checks
    the stored hash is not the password: here, the response never carries it)"""
    staff = await token(await django_user("staff", is_superuser=True))
    response = await _post_payload(client, staff)
    assert response.status_code == 201, response.text
    assert "password" not in response.json()
    assert await _created_users(client) == [{"username": "new-user", "isActive": True}]
    assert await _can_log_in(client, PAYLOAD["password"])


async def test_create_user_superuser(client):
    """CreateUserTest.test_create_user_superuser"""
    superuser = await django_user("root", email="root@example.com", is_superuser=True)
    response = await _post_payload(client, await token(superuser))
    assert response.status_code == 201, response.text


async def test_create_user_password_refused_by_validators(client):
    """CreateUserTest.test_create_user_password_refused_by_validators"""
    staff = await token(await django_user("staff", is_superuser=True))
    response = await _post_payload(client, staff, password="password")
    assert response.status_code == 400
    assert "password" in response.json()
    assert await _created_users(client) == []


async def test_create_user_password_too_similar_to_username(client):
    """CreateUserTest.test_create_user_password_too_similar_to_username"""
    staff = await token(await django_user("staff", is_superuser=True))
    response = await _post_payload(client, staff, password="new-user-1234")
    assert response.status_code == 400
    assert "password" in response.json()
    assert await _created_users(client) == []


async def test_create_user_password_accepted_by_validators(client):
    """CreateUserTest.test_create_user_password_accepted_by_validators"""
    staff = await token(await django_user("staff", is_superuser=True))
    response = await _post_payload(client, staff)
    assert response.status_code == 201, response.text
    assert await _can_log_in(client, PAYLOAD["password"])
