"""django-helpdesk REST API (/helpdesk/api/): black-box over HTTP, against
reference/004_90a83a2e676d0d11.txt and the helpdesk section of FACTS.md."""

from __future__ import annotations

import base64
from itertools import pairwise

import pytest

from models import Event, Status, User
from resolvers import comments, events, queues, tickets, users
from resolvers.permissions import SYSTEM
from tests.helpers import PASSWORD, gql, token_for

API = "/helpdesk/api"
TICKET_FIELDS = {
    "id",
    "queue",
    "title",
    "description",
    "resolution",
    "submitter_email",
    "assigned_to",
    "status",
    "on_hold",
    "priority",
    "due_date",
    "merged_to",
    "followup_set",
}
FOLLOWUP_FIELDS = {
    "id",
    "ticket",
    "user",
    "title",
    "comment",
    "public",
    "new_status",
    "time_spent",
    "followupattachment_set",
    "date",
    "message_id",
    "email_recipients",
}
ATTACHMENT_FIELDS = {"id", "followup", "file", "filename", "mime_type", "size"}
DENIED = {"detail": "You do not have permission to perform this action."}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
TICKET_QUERY = """query($id: ID!) { ticket(id: $id) { status resolution
  comments(first: 20) { edges { node { body isInternal } } } } }"""


def basic(user: str, password: str = PASSWORD) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
async def queue():
    return await queues.create_queue(SYSTEM, title="Support", slug="support")


@pytest.fixture
def staff(agent) -> dict[str, str]:
    return basic("agent")


async def new_ticket(actor, queue, title="Printer on fire", **fields):
    return await tickets.create_ticket(
        actor, title=title, description="It burns.", queue_id=queue.id, **fields
    )


async def post_ticket(client, headers, **overrides):
    body = {"queue": 1, "title": "Broken", "description": "Details", **overrides}
    return await client.post(f"{API}/tickets/", json=body, headers=headers)


# ---------------------------------------------------------------- reference examples


async def test_reference_json_create_example(client, admin, queue):
    """The document's first cURL example, verbatim (admin:admin, Basic)."""
    await User.filter(id=admin.id).update(password_hash=users.hash_password("admin"))
    assert queue.id == 1
    response = await client.post(
        f"{API}/tickets/",
        headers={"Authorization": "Basic YWRtaW46YWRtaW4=", "Content-Type": "application/json"},
        content='{"queue": 1, "title": "Test Ticket API", "description": "Test create ticket'
        ' from API", "submitter_email": "test@mail.com", "priority": 4}',
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == TICKET_FIELDS
    assert body["queue"] == 1 and body["priority"] == 4 and body["status"] == 1
    assert body["title"] == "Test Ticket API"
    assert body["submitter_email"] == "test@mail.com"
    assert body["on_hold"] is False and body["merged_to"] is None
    # like the original, the description also opens the conversation as a public followup
    (opened,) = body["followup_set"]
    assert set(opened) == FOLLOWUP_FIELDS
    assert (opened["title"], opened["comment"], opened["public"], opened["user"]) == (
        "Ticket Opened",
        "Test create ticket from API",
        True,
        admin.id,
    )


async def test_reference_form_create_example_with_attachment(client, admin, queue):
    await User.filter(id=admin.id).update(password_hash=users.hash_password("admin"))
    response = await client.post(
        f"{API}/tickets/",
        headers={"Authorization": "Basic YWRtaW46YWRtaW4="},
        data={
            "queue": "1",
            "title": "Test Ticket API with attachment",
            "description": "Test create ticket from API avec attachment",
            "submitter_email": "test@mail.com",
            "priority": "2",
        },
        files={"attachment": ("file.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["priority"] == 2 and "attachment" not in body  # write-only
    (opened,) = body["followup_set"]  # the file rides on the opening followup, as originally
    (file,) = opened["followupattachment_set"]
    assert (file["filename"], file["mime_type"], file["size"]) == ("file.txt", "text/plain", 5)
    download = await client.get(file["file"], headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert download.content == b"hello"


async def test_reference_followup_example_with_two_attachments(client, admin, queue):
    """The followup example verbatim, except the ticket id (44 there)."""
    await User.filter(id=admin.id).update(password_hash=users.hash_password("admin"))
    ticket = await new_ticket(admin, queue)
    response = await client.post(
        f"{API}/followups/",
        headers={"Authorization": "Basic YWRtaW46YWRtaW4="},
        data={
            "ticket": str(ticket.id),
            "title": "Test ticket answer",
            "comment": "This answer contains multiple files as attachment.",
        },
        files=[
            ("attachments", ("doc.pdf", b"%PDF-1.4", "application/pdf")),
            ("attachments", ("image.png", b"\x89PNG", "image/png")),
        ],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == FOLLOWUP_FIELDS
    assert body["ticket"] == ticket.id and body["user"] == admin.id
    assert body["public"] is False  # the original's default: private
    files = body["followupattachment_set"]
    assert [(f["filename"], f["mime_type"], f["size"]) for f in files] == [
        ("doc.pdf", "application/pdf", 8),
        ("image.png", "image/png", 4),
    ]
    assert all(set(f) == ATTACHMENT_FIELDS and f["followup"] == body["id"] for f in files)
    download = await client.get(files[0]["file"], headers=basic("admin", "admin"))
    assert download.status_code == 200 and download.content == b"%PDF-1.4"


async def test_reference_user_create_example(client, admin):
    response = await client.post(
        f"{API}/users/",
        json={
            "first_name": "Jane",
            "last_name": "Doe",
            "username": "jane",
            "email": "jane@example.com",
            "password": "s3cret-enough",
        },
        headers=basic("admin"),
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "first_name": "Jane",
        "last_name": "Doe",
        "username": "jane",
        "email": "jane@example.com",
    }
    jane = await users.authenticate_password("jane", "s3cret-enough")
    assert jane.name == "Jane Doe" and not jane.is_staff


# ---------------------------------------------------------------- authentication, permissions


async def test_anonymous_bad_credentials_and_customers_are_refused(client, agent, customer):
    assert (await client.get(f"{API}/tickets/")).json() == NO_CREDENTIALS
    response = await client.get(f"{API}/tickets/", headers=basic("agent", "wrong"))
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Invalid username/password."},
    )
    response = await client.get(f"{API}/tickets/", headers={"Authorization": "Token nope"})
    assert (response.status_code, response.json()) == (403, {"detail": "Invalid token."})
    for path in ("/tickets/", "/followups/", "/followups-attachments/", "/users/"):
        response = await client.get(API + path, headers=basic("customer"))
        assert (response.status_code, response.json()) == (403, DENIED), path


async def test_token_auth_and_basic_both_work(client, agent):
    token = await token_for(agent)
    for headers in ({"Authorization": f"Token {token}"}, basic("agent")):
        response = await client.get(f"{API}/tickets/", headers=headers)
        assert response.status_code == 200, response.text


async def test_users_need_an_admin(client, agent):
    body = {"username": "x", "password": "long-enough-pw"}
    assert (await client.post(f"{API}/users/", json=body)).status_code == 403
    response = await client.post(f"{API}/users/", json=body, headers=basic("agent"))
    assert (response.status_code, response.json()) == (403, DENIED)


# ---------------------------------------------------------------- tickets


async def test_create_validation_errors_are_drf_shaped(client, staff, queue):
    response = await client.post(f"{API}/tickets/", json={}, headers=staff)
    assert response.status_code == 400
    assert response.json() == {
        "queue": ["This field is required."],
        "title": ["This field is required."],
    }
    # the original checks the description (its form's body) only once the rest is valid
    response = await post_ticket(client, staff, description=" ")
    assert response.json() == {"body": ["This field is required."]}
    response = await post_ticket(client, staff, queue=99, priority=9, due_date="soon")
    assert response.json() == {
        "queue": ['Invalid pk "99" - object does not exist.'],
        "priority": ['"9" is not a valid choice.'],
        "due_date": [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ],
    }
    response = await post_ticket(client, staff, queue="x", title="t" * 201)
    assert response.json() == {
        "queue": ["Incorrect type. Expected pk value, received str."],
        "title": ["Ensure this field has no more than 200 characters."],
    }


async def test_every_invalid_field_is_listed(client, staff, agent, queue):
    """The door's own checks and the domain's (e-mail, assignee, merge target) answer together,
    each field in DRF's words."""
    response = await post_ticket(
        client,
        staff,
        priority=0,
        submitter_email="not-an-address",
        assigned_to=99999,
        merged_to=88888,
    )
    assert response.status_code == 400
    assert response.json() == {
        "priority": ['"0" is not a valid choice.'],
        "submitter_email": ["Enter a valid email address."],
        "assigned_to": ['Invalid pk "99999" - object does not exist.'],
        "merged_to": ['Invalid pk "88888" - object does not exist.'],
    }
    # alone, an unknown merge target is refused on create as well (then ignored when valid)
    response = await post_ticket(client, staff, merged_to=88888)
    assert (response.status_code, response.json()) == (
        400,
        {"merged_to": ['Invalid pk "88888" - object does not exist.']},
    )
    ticket = await new_ticket(agent, queue)
    response = await client.patch(
        f"{API}/tickets/{ticket.id}/",
        json={"title": "", "on_hold": "maybe", "merged_to": ticket.id},
        headers=staff,
    )
    assert response.json() == {
        "title": ["This field may not be blank."],
        "on_hold": ["Must be a valid boolean."],
        "merged_to": ["A ticket cannot be merged into itself."],
    }


async def test_create_ignores_status_resolution_hold_and_merge(client, staff, agent, queue):
    other = await new_ticket(agent, queue)
    response = await post_ticket(
        client, staff, status=4, resolution="done", on_hold=True, merged_to=other.id
    )
    body = response.json()
    assert response.status_code == 201
    assert (body["status"], body["resolution"], body["on_hold"], body["merged_to"]) == (
        1,
        None,
        False,
        None,
    )
    assert body["priority"] == 3  # default Normal


async def test_retrieve_update_partial_update_delete(client, staff, agent, queue):
    ticket = await new_ticket(agent, queue)
    url = f"{API}/tickets/{ticket.id}/"
    body = (await client.get(url, headers=staff)).json()
    assert set(body) == TICKET_FIELDS and body["id"] == ticket.id
    put = await client.put(url, json={"title": "Only title"}, headers=staff)
    assert (put.status_code, put.json()) == (400, {"queue": ["This field is required."]})
    put = await client.put(
        url,
        json={**body, "title": "New", "priority": 1, "due_date": "2030-01-02T03:04:05Z"},
        headers=staff,
    )
    assert put.status_code == 200, put.text
    assert put.json()["title"] == "New" and put.json()["due_date"] == "2030-01-02T03:04:05Z"
    patch = await client.patch(
        url, json={"on_hold": True, "assigned_to": agent.id, "resolution": "r"}, headers=staff
    )
    assert patch.status_code == 200, patch.text
    assert (patch.json()["on_hold"], patch.json()["assigned_to"]) == (True, agent.id)
    assert patch.json()["title"] == "New"
    delete = await client.delete(url, headers=staff)
    assert (delete.status_code, delete.content) == (204, b"")
    gone = await client.get(url, headers=staff)
    assert (gone.status_code, gone.json()) == (
        404,
        {"detail": "No Ticket matches the given query."},
    )
    assert (await client.get(f"{API}/tickets/abc/", headers=staff)).status_code == 404


async def test_status_mapping_and_any_status_recorded(client, staff, agent, queue):
    """Staff set exactly the status they send, with no flow (issue 17 difference 6); each
    change is still a status event, previous → current, one after the other."""
    ticket = await new_ticket(agent, queue)
    await tickets.update_ticket(agent, ticket.id, status=Status.IN_PROGRESS)
    url = f"{API}/tickets/{ticket.id}/"
    assert (await client.get(url, headers=staff)).json()["status"] == 1  # in progress is Open
    unchanged = await client.patch(url, json={"status": 1}, headers=staff)
    assert unchanged.status_code == 200
    assert (await tickets.get_ticket(agent, ticket.id)).status == Status.IN_PROGRESS
    for number in (3, 5, 4, 1, 2):  # resolved → duplicate, closed → open: outside the flow
        answer = await client.patch(url, json={"status": number}, headers=staff)
        assert (answer.status_code, answer.json()["status"]) == (200, number)
    data = await gql(client, TICKET_QUERY, await token_for(agent), id=str(ticket.id))
    assert data["data"]["ticket"]["status"] == "REOPENED"
    changed = Event.filter(ticket_id=ticket.id, kind=events.TICKET_STATUS_CHANGED).order_by("id")
    pairs = [(e.payload["previous"], e.payload["current"]) for e in await changed]
    walk = ["open", "in_progress", "resolved", "duplicate", "closed", "open", "reopened"]
    assert pairs == list(pairwise(walk))


async def test_merged_to_maps_to_merged_into_and_refuses_unknown(client, staff, agent, queue):
    a, b = await new_ticket(agent, queue), await new_ticket(agent, queue)
    url = f"{API}/tickets/{a.id}/"
    response = await client.patch(url, json={"merged_to": b.id}, headers=staff)
    assert response.json()["merged_to"] == b.id
    assert (await tickets.get_ticket(agent, a.id)).merged_into_id == b.id
    response = await client.patch(url, json={"merged_to": 999}, headers=staff)
    assert (response.status_code, response.json()) == (
        400,
        {"merged_to": ['Invalid pk "999" - object does not exist.']},
    )


async def test_list_pagination_and_status_filter(client, staff, agent, queue):
    made = [await new_ticket(agent, queue, title=f"T{i}") for i in range(7)]
    await tickets.set_status(agent, made[0].id, "resolved")
    page = (await client.get(f"{API}/tickets/?page_size=3", headers=staff)).json()
    assert page["count"] == 7 and [t["id"] for t in page["results"]] == [t.id for t in made[:3]]
    assert page["previous"] is None
    assert page["next"] == f"http://testserver{API}/tickets/?page=2&page_size=3"  # sorted, as DRF
    page2 = (await client.get(page["next"], headers=staff)).json()
    assert page2["previous"] == f"http://testserver{API}/tickets/?page_size=3"
    last = (await client.get(f"{API}/tickets/?page_size=3&page=3", headers=staff)).json()
    assert last["next"] is None and len(last["results"]) == 1
    for bad in ("4", "0", "x"):
        response = await client.get(f"{API}/tickets/?page_size=3&page={bad}", headers=staff)
        assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})
    default = (await client.get(f"{API}/tickets/?page_size=junk", headers=staff)).json()
    assert len(default["results"]) == 7  # an unusable page_size falls back to 25
    resolved = (await client.get(f"{API}/tickets/?status=3,9,x", headers=staff)).json()
    assert [t["id"] for t in resolved["results"]] == [made[0].id]
    opened = (await client.get(f"{API}/tickets/?status=1", headers=staff)).json()
    assert opened["count"] == 6


async def test_list_query_count_does_not_grow_with_page(client, staff, agent, queue, count_sql):
    async def statements(n: int) -> int:
        with count_sql() as stmts:
            response = await client.get(f"{API}/tickets/?page_size={n}", headers=staff)
        assert len(response.json()["results"]) == n
        return len(stmts)

    for i in range(6):
        ticket = await new_ticket(agent, queue, title=f"T{i}")
        await comments.add_comment(agent, ticket.id, "note")
    await statements(2)  # the first use of the password verifies it; the next ones are cached
    assert await statements(2) == await statements(6)


async def test_bare_path_is_answered_like_the_slash_form(client, staff, agent, queue):
    await new_ticket(agent, queue)
    bare = await client.get(f"{API}/tickets", headers=staff)
    assert bare.status_code == 200 and bare.json()["count"] == 1


async def test_unmapped_method_is_405_after_permission(client, staff, customer):
    response = await client.get(f"{API}/users/", headers=staff)
    assert (response.status_code, response.json()) == (405, {"detail": 'Method "GET" not allowed.'})
    response = await client.delete(f"{API}/tickets/", headers=staff)
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert (await client.get(f"{API}/users/", headers=basic("customer"))).status_code == 403


async def test_malformed_json_is_a_drf_error(client, staff, queue):
    response = await client.post(
        f"{API}/tickets/",
        content="{nope",
        headers={**staff, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and set(response.json()) == {"detail"}


# ---------------------------------------------------------------- user_tickets


async def test_user_tickets_lists_the_callers_submitted_tickets(client, agent, customer, queue):
    mine = await new_ticket(
        agent, queue, submitter_email=customer.email, client_emails=[customer.email]
    )
    own = await new_ticket(customer, queue, title="Opened by me")
    await new_ticket(agent, queue, submitter_email="someone@example.com")
    await tickets.set_hold(agent, mine.id, True)
    body = (await client.get(f"{API}/user_tickets/", headers=basic("customer"))).json()
    assert body["count"] == 2
    assert [t["id"] for t in body["results"]] == [own.id, mine.id]  # newest first
    held = body["results"][1]
    assert set(held) == {
        "ticket",
        "id",
        "title",
        "queue",
        "status",
        "created",
        "due_date",
        "submitter",
        "kbitem",
        "secret_key",
    }
    assert held["ticket"] == f"{mine.id} [support-{mine.id}]"
    assert held["queue"] == {"title": "Support", "id": queue.id}
    assert held["status"] == "Open - On Hold"
    assert held["submitter"] == customer.email
    assert (await client.get(f"{API}/user_tickets/")).json() == NO_CREDENTIALS
    one = await client.get(f"{API}/user_tickets/{mine.id}/", headers=basic("customer"))
    assert one.json() == held
    other = await client.get(f"{API}/user_tickets/{mine.id}/", headers=basic("agent"))
    assert other.json() == {"detail": "No Ticket matches the given query."}


# ---------------------------------------------------------------- followups


async def test_followup_internal_is_invisible_to_customers_in_graphql(
    client, staff, agent, customer, queue
):
    ticket = await new_ticket(customer, queue)
    private = await client.post(
        f"{API}/followups/",
        json={"ticket": ticket.id, "comment": "staff only", "public": False},
        headers=staff,
    )
    public = await client.post(
        f"{API}/followups/",
        json={"ticket": ticket.id, "comment": "hello", "public": True, "time_spent": "1:30:00"},
        headers=staff,
    )
    assert private.status_code == public.status_code == 201
    assert public.json()["time_spent"] == "01:30:00" and public.json()["public"] is True
    as_customer = await gql(client, TICKET_QUERY, await token_for(customer), id=str(ticket.id))
    nodes = [e["node"] for e in as_customer["data"]["ticket"]["comments"]["edges"]]
    assert nodes == [{"body": "hello", "isInternal": False}]
    as_agent = await gql(client, TICKET_QUERY, await token_for(agent), id=str(ticket.id))
    nodes = [e["node"] for e in as_agent["data"]["ticket"]["comments"]["edges"]]
    assert nodes == [
        {"body": "staff only", "isInternal": True},
        {"body": "hello", "isInternal": False},
    ]
    followups = (await client.get(f"{API}/tickets/{ticket.id}/", headers=staff)).json()
    assert [f["public"] for f in followups["followup_set"]] == [False, True]


async def test_followup_new_status_changes_the_ticket(client, staff, agent, queue):
    ticket = await new_ticket(agent, queue)
    response = await client.post(
        f"{API}/followups/",
        data={"ticket": str(ticket.id), "comment": "fixed", "new_status": "3", "public": "true"},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    assert response.json()["new_status"] == 3
    assert (await tickets.get_ticket(agent, ticket.id)).status == Status.RESOLVED


async def test_followup_errors_list_and_retrieve(client, staff, agent, queue):
    ticket = await new_ticket(agent, queue)
    response = await client.post(f"{API}/followups/", json={}, headers=staff)
    assert response.json() == {"ticket": ["This field is required."]}
    blank = await client.post(f"{API}/followups/", json={"ticket": ticket.id}, headers=staff)
    assert blank.json() == {"comment": ["This field may not be blank."]}  # a deviation
    response = await client.post(
        f"{API}/followups/",
        json={"ticket": 999, "comment": "x", "time_spent": "soon", "new_status": 7},
        headers=staff,
    )
    assert set(response.json()) == {"ticket", "time_spent", "new_status"}
    assert response.json()["ticket"] == ['Invalid pk "999" - object does not exist.']
    created = await client.post(
        f"{API}/followups/", json={"ticket": ticket.id, "comment": "x"}, headers=staff
    )
    listed = (await client.get(f"{API}/followups/", headers=staff)).json()
    assert listed["count"] == 1 and listed["results"] == [created.json()]
    one = await client.get(f"{API}/followups/{created.json()['id']}/", headers=staff)
    assert one.json() == created.json()
    missing = await client.get(f"{API}/followups/999/", headers=staff)
    assert missing.json() == {"detail": "No FollowUp matches the given query."}


async def test_followup_attachments_crud(client, staff, agent, queue):
    ticket = await new_ticket(agent, queue)
    comment = await comments.add_comment(agent, ticket.id, "see file")
    created = await client.post(
        f"{API}/followups-attachments/",
        data={"followup": str(comment.id)},
        files={"file": ("log.txt", b"line", "text/plain")},
        headers=staff,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == ATTACHMENT_FIELDS and body["followup"] == comment.id and body["size"] == 4
    named_first = await client.post(
        f"{API}/followups-attachments/",
        data={"followup": str(comment.id)},
        files={"file": ("a.txt", b"a", "text/plain")},
        headers=staff,
    )
    listed = (await client.get(f"{API}/followups-attachments/", headers=staff)).json()
    assert listed["results"] == [named_first.json(), body]  # by file name, as the original
    url = f"{API}/followups-attachments/{body['id']}/"
    assert (await client.get(url, headers=staff)).json() == body
    assert (await client.get(body["file"], headers=staff)).content == b"line"
    assert (await client.delete(url, headers=staff)).status_code == 204
    missing = await client.get(url, headers=staff)
    assert missing.json() == {"detail": "No FollowUpAttachment matches the given query."}
    refused = await client.post(
        f"{API}/followups-attachments/", data={"followup": "999"}, headers=staff
    )
    assert refused.json() == {
        "file": ["No file was submitted."],
        "followup": ['Invalid pk "999" - object does not exist.'],
    }


# ---------------------------------------------------------------- users


async def test_user_create_errors(client, admin):
    response = await client.post(f"{API}/users/", json={}, headers=basic("admin"))
    assert response.json() == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }
    weak = await client.post(
        f"{API}/users/", json={"username": "bob", "password": "123"}, headers=basic("admin")
    )
    assert weak.status_code == 400 and list(weak.json()) == ["password"]
    taken = await client.post(
        f"{API}/users/",
        json={"username": "admin", "password": "long-enough-pw"},
        headers=basic("admin"),
    )
    assert taken.json() == {"username": ["A user with that username already exists."]}


# ---------------------------------------------------------------- custom fields


CUSTOM = (
    '[{"name": "order_no", "label": "Order", "data_type": "varchar", "max_length": 5,'
    ' "required": true}, {"name": "seats", "label": "Seats", "data_type": "integer"},'
    ' {"name": "plan", "label": "Plan", "data_type": "list", "choices": ["free", "pro"],'
    ' "staff_only": true}]'
)


@pytest.fixture
async def custom_client(client_with):
    async with client_with(helpdesk_custom_fields=CUSTOM) as c:
        yield c


async def test_custom_fields_are_typed_required_and_rendered(custom_client, staff, queue):
    client = custom_client
    missing = await post_ticket(client, staff)
    assert missing.json() == {"custom_order_no": ["This field is required."]}
    bad = await post_ticket(
        client, staff, custom_order_no="toolong", custom_seats="x", custom_plan="gold"
    )
    assert bad.json() == {
        "custom_order_no": ["Ensure this field has no more than 5 characters."],
        "custom_seats": ["A valid integer is required."],
        "custom_plan": ['"gold" is not a valid choice.'],
    }
    made = await post_ticket(
        client, staff, custom_order_no="A1", custom_seats="3", custom_unknown="ignored"
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == TICKET_FIELDS | {"custom_order_no", "custom_seats", "custom_plan"}
    # fields not given start blank, as the original's form saves them
    assert (body["custom_order_no"], body["custom_seats"], body["custom_plan"]) == ("A1", 3, "")
    patched = await client.patch(
        f"{API}/tickets/{body['id']}/", json={"custom_plan": "pro"}, headers=staff
    )
    assert patched.json()["custom_plan"] == "pro" and patched.json()["custom_order_no"] == "A1"


# ---------------------------------------------------------------- root, OpenAPI


async def test_api_root_lists_the_router(client):
    body = (await client.get(f"{API}/")).json()
    assert body == {
        name: f"http://testserver{API}/{name}/"
        for name in ("tickets", "user_tickets", "followups", "followups-attachments", "users")
    }


async def test_openapi_lists_every_rest_route(client):
    from rest import helpdesk
    from rest.helpdesk import legacy as helpdesk_legacy

    doc = (await client.get(f"{API}/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    legacy = {r.path for r in helpdesk_legacy.routes}
    rest_paths = {
        r.path
        for r in helpdesk.routes
        if r.path.endswith("/")
        and r.path not in legacy
        and r.path != "/"
        and not r.path.endswith("/file/")
    }
    assert rest_paths == {
        "/tickets/",
        "/tickets/{id}/",
        "/user_tickets/",
        "/user_tickets/{id}/",
        "/followups/",
        "/followups/{id}/",
        "/followups-attachments/",
        "/followups-attachments/{id}/",
        "/users/",
    }
    documented = {"/", "/openapi.json", "/followups-attachments/{id}/file/"}
    assert rest_paths | documented == set(doc["paths"])
    assert doc["servers"] == [{"url": API}]  # paths are relative to the mount
    assert set(doc["paths"]["/tickets/{id}/"]) >= {"get", "put", "patch", "delete"}


async def test_followup_update_and_delete(client, staff, agent, customer, queue):
    ticket = await new_ticket(customer, queue)
    created = await client.post(
        f"{API}/followups/",
        json={"ticket": ticket.id, "comment": "draft", "public": True},
        headers=staff,
    )
    url = f"{API}/followups/{created.json()['id']}/"
    put = await client.put(url, json={"comment": "no ticket"}, headers=staff)
    assert (put.status_code, put.json()) == (400, {"ticket": ["This field is required."]})
    patched = await client.patch(url, json={"comment": "final", "public": False}, headers=staff)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["comment"], patched.json()["public"]) == ("final", False)
    # made private here, it disappears for the customer in GraphQL
    as_customer = await gql(client, TICKET_QUERY, await token_for(customer), id=str(ticket.id))
    assert as_customer["data"]["ticket"]["comments"]["edges"] == []
    moved = await client.patch(url, json={"ticket": 999}, headers=staff)
    assert moved.status_code == 400 and list(moved.json()) == ["ticket"]
    assert (await client.delete(url, headers=staff)).status_code == 204
    assert (await client.get(url, headers=staff)).status_code == 404


async def test_out_of_range_ids_and_pages_are_clean_errors(client, staff, agent, queue):
    ticket = await new_ticket(agent, queue)
    huge = "9" * 20
    missing = await client.get(f"{API}/tickets/{huge}/", headers=staff)
    assert missing.json() == {"detail": "No Ticket matches the given query."}
    endless = await client.get(f"{API}/tickets/{'9' * 5000}/", headers=staff)  # over int()'s limit
    assert (endless.status_code, endless.json()) == (404, missing.json())
    page = await client.get(f"{API}/tickets/?page={huge}", headers=staff)
    assert (page.status_code, page.json()) == (404, {"detail": "Invalid page."})
    response = await client.patch(
        f"{API}/tickets/{ticket.id}/",
        json={"queue": huge, "assigned_to": "x", "on_hold": "maybe"},
        headers=staff,
    )
    assert response.json() == {
        "queue": [f'Invalid pk "{huge}" - object does not exist.'],
        "assigned_to": ["Incorrect type. Expected pk value, received str."],
        "on_hold": ["Must be a valid boolean."],
    }
    for due in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):  # no UTC equivalent
        response = await client.patch(
            f"{API}/tickets/{ticket.id}/", json={"due_date": due}, headers=staff
        )
        assert response.status_code == 400 and list(response.json()) == ["due_date"]


async def test_head_is_answered_like_get(client, staff, agent, queue):
    await new_ticket(agent, queue)
    response = await client.head(f"{API}/tickets/", headers=staff)
    assert response.status_code == 200


async def test_refused_attachment_creates_nothing(client, staff, queue, monkeypatch):
    from resolvers import limits

    monkeypatch.setattr(limits, "FILE_BYTES", 3)
    response = await client.post(
        f"{API}/tickets/",
        data={"queue": "1", "title": "t", "description": "d", "priority": "3"},
        files={"attachment": ("big.bin", b"12345", "application/octet-stream")},
        headers=staff,
    )
    assert response.status_code == 400 and list(response.json()) == ["attachment"]
    assert (await client.get(f"{API}/tickets/", headers=staff)).json()["count"] == 0


async def test_booleans_given_as_lists_or_objects_are_field_errors(client, staff, agent, queue):
    """Found by fuzzing: `{"on_hold": {}}` / `{"public": []}` were 500s (unhashable in a set)."""
    ticket = await new_ticket(agent, queue)
    for verb in ("put", "patch"):
        body = {"queue": queue.id, "title": "t", "description": "d", "on_hold": {}}
        response = await client.request(
            verb.upper(), f"{API}/tickets/{ticket.id}/", json=body, headers=staff
        )
        assert response.status_code == 400
        assert response.json() == {"on_hold": ["Must be a valid boolean."]}
    response = await client.post(
        f"{API}/followups/", json={"ticket": ticket.id, "comment": "x", "public": {}}, headers=staff
    )
    assert (response.status_code, response.json()) == (
        400,
        {"public": ["Must be a valid boolean."]},
    )
    followup = await client.post(
        f"{API}/followups/", json={"ticket": ticket.id, "comment": "x"}, headers=staff
    )
    url = f"{API}/followups/{followup.json()['id']}/"
    response = await client.patch(url, json={"public": ["yes"]}, headers=staff)
    assert (response.status_code, response.json()) == (
        400,
        {"public": ["Must be a valid boolean."]},
    )


async def test_custom_boolean_given_as_an_object_is_a_field_error(client_with, staff, queue):
    flags = '[{"name": "vip", "label": "VIP", "data_type": "boolean"}]'
    async with client_with(helpdesk_custom_fields=flags) as client:
        response = await post_ticket(client, staff, custom_vip={"a": 1})
        assert (response.status_code, response.json()) == (
            400,
            {"custom_vip": ["Must be a valid boolean."]},
        )
        made = await post_ticket(client, staff, custom_vip="yes")
        assert made.status_code == 201 and made.json()["custom_vip"] is True


async def test_nul_characters_are_refused_not_500s(client, staff, queue):
    """Found by fuzzing: a NUL in text or in Basic credentials was a 500 on PostgreSQL."""
    response = await post_ticket(client, staff, title="a\x00b")
    assert (response.status_code, response.json()) == (
        400,
        {"title": ["title must not contain NUL characters."]},
    )
    response = await client.get(f"{API}/tickets/", headers=basic("agent\x00"))
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Invalid username/password."},
    )


@pytest.mark.parametrize("spent", ["99999999999999999:00:00", "1" + "0" * 5000])
async def test_durations_too_long_for_a_timedelta_are_field_errors(
    client, staff, agent, queue, spent
):
    """Found by fuzzing: an hour count past timedelta's range was a 500 (OverflowError)."""
    ticket = await new_ticket(agent, queue)
    response = await client.post(
        f"{API}/followups/",
        json={"ticket": ticket.id, "comment": "x", "time_spent": spent},
        headers=staff,
    )
    assert (response.status_code, response.json()) == (
        400,
        {"time_spent": ["The number of days must be between -999999999 and 999999999."]},
    )


# ---------------------------------------------------------------- DRF's words and headers


async def test_malformed_json_is_drfs_parse_error_with_pythons_reason(client, staff, queue):
    for raw, reason in (
        (b'{"title": ', "Expecting value: line 1 column 11 (char 10)"),
        (b'{"priority": NaN}', "Out of range float values are not JSON compliant: 'NaN'"),
    ):
        response = await client.post(
            f"{API}/tickets/", content=raw, headers={**staff, "Content-Type": "application/json"}
        )
        assert (response.status_code, response.json()) == (
            400,
            {"detail": f"JSON parse error - {reason}"},
        )


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/", "GET, HEAD, OPTIONS"),
        ("/tickets/", "GET, POST, HEAD, OPTIONS"),
        ("/tickets/{id}/", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
        ("/tickets/999/", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),  # a 404 too
        ("/user_tickets/", "GET, HEAD, OPTIONS"),
        ("/followups-attachments/{id}/", "GET, DELETE, HEAD, OPTIONS"),
        ("/users/", "POST, OPTIONS"),  # a 405
    ],
)
async def test_every_answer_of_a_view_names_its_methods(client, staff, agent, queue, path, allow):
    ticket = await new_ticket(agent, queue)
    response = await client.get(API + path.format(id=ticket.id), headers=staff)
    assert response.headers["allow"] == allow
    anonymous = await client.get(API + path.format(id=ticket.id))
    assert anonymous.headers["allow"] == allow  # (DRF's 403 as well)
    assert "allow" not in (await client.get(f"{API}/no/such/path/")).headers  # the router's 404


async def test_options_answers_drfs_metadata(client, staff, admin, agent, customer, queue):
    response = await client.options(f"{API}/tickets/", headers=staff)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Ticket List"
    assert body["parses"] == [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ]
    fields = body["actions"]["POST"]
    assert fields["title"] == {
        "type": "string",
        "required": True,
        "read_only": False,
        "label": "Title",
        "max_length": 200,
    }
    assert fields["status"]["choices"][0] == {"value": 1, "display_name": "Open"}
    assert fields["followup_set"]["child"]["children"]["comment"]["type"] == "string"
    ticket = await new_ticket(agent, queue)
    item = (await client.options(f"{API}/tickets/{ticket.id}/", headers=staff)).json()
    assert item["name"] == "Ticket Instance" and set(item["actions"]) == {"PUT"}
    missing = await client.options(f"{API}/tickets/999/", headers=staff)
    assert missing.status_code == 200 and "actions" not in missing.json()
    mine = await client.options(f"{API}/user_tickets/", headers=basic("customer"))
    assert mine.status_code == 200 and "actions" not in mine.json()
    assert (await client.options(f"{API}/tickets/")).json() == {
        "detail": "Authentication credentials were not provided."
    }
    agents = (await client.options(f"{API}/users/", headers=staff)).json()
    assert "actions" not in agents  # creating users needs an admin
    admins = (await client.options(f"{API}/users/", headers=basic("admin"))).json()
    assert admins["actions"]["POST"]["password"]["required"] is True


async def test_options_describes_the_custom_fields(client_with, agent, queue):
    fields = '[{"name": "order_no", "label": "Order", "data_type": "varchar", "max_length": 20}]'
    async with client_with(helpdesk_custom_fields=fields) as client:
        body = (await client.options(f"{API}/tickets/", headers=basic("agent"))).json()
    assert body["actions"]["POST"]["custom_order_no"] == {
        "type": "string",
        "required": False,
        "read_only": False,
        "label": "Order",
        "max_length": 20,
    }
