"""Helpers shared by the ports of django-helpdesk 2.6.1's own API tests (docs/conformance.md).

They translate what Django's test machinery does into ticketgate terms, and nothing else:
`User.objects.create_user(...)` becomes a ticketgate user (superuser → admin, staff → agent,
otherwise customer), `force_authenticate` an API token, `client.login` HTTP Basic, and the
APIClient's default multipart encoding a multipart body built the same way (`str()` of each
value, lists as repeated fields).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from models import User
from resolvers import queues, tickets, tokens, users
from resolvers.permissions import SYSTEM

API = "/helpdesk/api"


async def django_user(
    username: str,
    *,
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    password: str | None = None,
) -> User:
    """`User.objects.create_user(...)`: the password is set as given (the original's test
    passwords, e.g. "admin", are below ticketgate's own strength rule, which is not under test)."""
    role = "admin" if is_superuser else "agent" if is_staff else "customer"
    user = await users.create_user(SYSTEM, username=username, email=email, role=role)
    if password is not None:
        await User.filter(id=user.id).update(password_hash=users.hash_password(password))
    return user


async def token(user: User) -> dict[str, str]:
    """`client.force_authenticate(user)`."""
    _, raw = await tokens.create_token(SYSTEM, user.id, "conformance")
    return {"Authorization": f"Token {raw}"}


def basic(username: str, password: str) -> dict[str, str]:
    """`client.credentials(HTTP_AUTHORIZATION="Basic …")` or `client.login(...)`."""
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def queue(title: str, slug: str):
    """`Queue.objects.create(title=…, slug=…)`."""
    return await queues.create_queue(SYSTEM, title=title, slug=slug)


async def ticket(queue_, title: str, **fields: Any):
    """`Ticket.objects.create(queue=…, title=…, …)`: no followup, as the ORM call makes none;
    the system actor has no address, so `submitter_email` stays "" unless given."""
    return await tickets.create_ticket(SYSTEM, title=title, queue_id=queue_.id, **fields)


def multipart(data: dict[str, Any]) -> list[tuple[str, tuple]]:
    """APIClient's default multipart body (for httpx `files=`): `(name, bytes, type)` tuples are
    files, lists repeat the field, every other value is sent as `str(value)`."""
    parts: list[tuple[str, tuple]] = []
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append((name, item if isinstance(item, tuple) else (None, str(item))))
    return parts


async def post_form(client: httpx.AsyncClient, path: str, data: dict, headers: dict):
    return await client.post(API + path, files=multipart(data), headers=headers)


async def put_form(client: httpx.AsyncClient, path: str, data: dict, headers: dict):
    return await client.put(API + path, files=multipart(data), headers=headers)


async def patch_form(client: httpx.AsyncClient, path: str, data: dict, headers: dict):
    return await client.patch(API + path, files=multipart(data), headers=headers)


async def all_tickets(client: httpx.AsyncClient, headers: dict) -> list[dict]:
    """`Ticket.objects.all()`, read by a staff member through the door."""
    response = await client.get(f"{API}/tickets/?page_size=1000", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]
