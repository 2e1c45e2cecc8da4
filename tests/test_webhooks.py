"""Webhooks: management over /api/v1, and delivery to a real local HTTP receiver (signature,
retries, failure, restarts, changes from every door, internal comments)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest

from models import Event, Role, User, Webhook, WebhookDelivery
from resolvers import clock, permissions, webhooks
from resolvers.webhook_worker import LEASE, MAX_ATTEMPTS, backoff, deliver_due
from server import build_app
from tests.helpers import bearer, gql, token_for

API = "/api/v1"
SECRET = "s3cret-s3cret-s3cret"
ALL_EVENTS = [
    "ticket.created",
    "ticket.updated",
    "ticket.status_changed",
    "comment.created",
    "user.created",
]


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server on 127.0.0.1 recording each POST; answers `statuses` in turn."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines if ln)}
        body = await reader.readexactly(int(headers.get("content-length", 0)))
        self.requests.append((headers, body))
        self.arrived.set()
        status = self.statuses.pop(0) if self.statuses else 200
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    recv = Receiver()
    server = await asyncio.start_server(recv.handle, "127.0.0.1", 0)
    recv.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    async with server:
        yield recv


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, webhooks_allow_private=True)


async def deliver(now=None) -> int:
    return await deliver_due(now=now, allow_private=True)


async def subscribe(client, admin, url: str, events=ALL_EVENTS) -> dict:
    body = {"url": url, "events": events, "secret": SECRET}
    response = await client.post(f"{API}/webhooks", json=body, headers=await auth(admin))
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def auth(user) -> dict[str, str]:
    return bearer(await token_for(user))


def verify(headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (docs/platform_v1.md)."""
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-ticketgate-signature"])


# ---------------------------------------------------------------- management


async def test_manage_webhooks(client, admin, agent, customer):
    for user in (agent, customer):
        body = {"url": "http://93.184.216.34/hook", "events": ["ticket.created"]}
        refused = await client.post(f"{API}/webhooks", json=body, headers=await auth(user))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    headers = await auth(admin)
    created = await client.post(
        f"{API}/webhooks",
        json={"url": "https://93.184.216.34/hook", "events": ["ticket.created"]},
        headers=headers,
    )
    assert created.status_code == 201
    hook = created.json()["data"]
    assert set(hook) == {"id", "url", "events", "active", "created_at", "secret"}
    assert hook["active"] is True and len(hook["secret"]) >= 32
    url = f"{API}/webhooks/{hook['id']}"
    shown = (await client.get(url, headers=headers)).json()["data"]
    assert "secret" not in shown
    assert shown["events"] == ["ticket.created"]
    patched = await client.patch(
        url, json={"active": False, "events": ["comment.created"]}, headers=headers
    )
    assert patched.json()["data"]["active"] is False
    assert patched.json()["data"]["events"] == ["comment.created"]
    listed = (await client.get(f"{API}/webhooks", headers=headers)).json()
    assert [h["id"] for h in listed["data"]] == [hook["id"]]
    assert listed["pagination"]["total"] == 1
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://93.184.216.34/x", "url must be an absolute http:// or https:// URL."),
        (
            "http://127.0.0.1:9/x",
            "Webhook targets on loopback or private networks are not allowed.",
        ),
        ("http://localhost/x", "Webhook targets on loopback or private networks are not allowed."),
        ("http://10.1.2.3/x", "Webhook targets on loopback or private networks are not allowed."),
        ("http://[::1]/x", "Webhook targets on loopback or private networks are not allowed."),
        (
            "http://169.254.169.254/x",
            "Webhook targets on loopback or private networks are not allowed.",
        ),
        ("http://93.184.216.34:99999/x", "url must be an absolute http:// or https:// URL."),
    ],
)
async def test_private_and_non_http_targets_are_refused(app, client, admin, url, message):
    app.state.settings = dataclasses.replace(app.state.settings, webhooks_allow_private=False)
    body = {"url": url, "events": ["ticket.created"]}
    response = await client.post(f"{API}/webhooks", json=body, headers=await auth(admin))
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"field": "url", "message": message}]


async def test_webhook_validation(client, admin):
    headers = await auth(admin)
    bad_events = await client.post(
        f"{API}/webhooks", json={"url": "http://93.184.216.34/", "events": ["x"]}, headers=headers
    )
    assert bad_events.status_code == 422
    assert bad_events.json()["error"]["details"][0]["field"] == "events"
    short_secret = await client.post(
        f"{API}/webhooks",
        json={"url": "http://93.184.216.34/", "events": ["user.created"], "secret": "short"},
        headers=headers,
    )
    assert short_secret.json()["error"]["details"][0]["field"] == "secret"
    missing = await client.get(f"{API}/webhooks/77", headers=headers)
    assert missing.status_code == 404
    hook = await subscribe(client, admin, "http://93.184.216.34/", ["user.created"])
    unknown = await client.patch(
        f"{API}/webhooks/{hook['id']}", json={"allow_private": True}, headers=headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "allow_private"


# ---------------------------------------------------------------- delivery


async def test_signed_delivery_of_a_status_change(client, admin, agent, customer, receiver):
    hook = await subscribe(client, admin, receiver.url, ["ticket.status_changed"])
    ticket = (
        await client.post(
            f"{API}/tickets", json={"title": "Dashboard down"}, headers=await auth(customer)
        )
    ).json()["data"]
    await client.patch(
        f"{API}/tickets/{ticket['id']}", json={"status": "in_progress"}, headers=await auth(agent)
    )
    assert await deliver() == 1
    [(headers, body)] = receiver.requests
    assert verify(headers, body)
    assert headers["content-type"] == "application/json"
    assert headers["x-ticketgate-event"] == "ticket.status_changed"
    assert headers["x-ticketgate-event-id"].isdigit()
    payload = json.loads(body)
    assert payload == {
        "event": "ticket.status_changed",
        "timestamp": payload["timestamp"],
        "data": {
            "ticket": {
                "id": ticket["id"],
                "title": "Dashboard down",
                "status": {"previous": "open", "current": "in_progress"},
                "updated_by": {"id": str(agent.id), "name": agent.name, "email": agent.email},
            }
        },
    }
    assert payload["timestamp"].endswith("Z")
    deliveries = (
        await client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=await auth(admin))
    ).json()
    [row] = deliveries["data"]
    assert (row["event"], row["status"], row["attempts"], row["last_status_code"]) == (
        "ticket.status_changed",
        "delivered",
        1,
        200,
    )
    assert row["event_id"] == headers["x-ticketgate-event-id"]
    assert await deliver() == 0  # nothing is sent twice


async def test_retry_after_a_failing_first_attempt(client, admin, customer, receiver):
    hook = await subscribe(client, admin, receiver.url, ["ticket.created"])
    receiver.statuses = [500]
    await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    now = clock.now()
    assert await deliver(now) == 1
    [row] = await WebhookDelivery.filter(webhook_id=int(hook["id"]))
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.next_attempt_at == now + backoff(1)
    assert await deliver(now + backoff(1) - timedelta(seconds=1)) == 0  # not due yet
    assert await deliver(now + backoff(1)) == 1
    await row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 200)
    first, second = receiver.requests
    assert first[0]["x-ticketgate-event-id"] == second[0]["x-ticketgate-event-id"]
    assert first[1] == second[1]  # the same signed body, so receivers can de-duplicate


async def test_keeps_failing_then_marked_failed_and_visible(client, admin, customer, receiver):
    hook = await subscribe(client, admin, receiver.url, ["ticket.created"])
    receiver.statuses = [503] * MAX_ATTEMPTS
    await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    now = clock.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await deliver(now) == 1
        now += backoff(attempt)
    assert await deliver(now + timedelta(days=1)) == 0
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert backoff(20) == timedelta(hours=1)  # the wait is capped
    failed = await client.get(
        f"{API}/webhooks/{hook['id']}/deliveries",
        params={"status": "failed"},
        headers=await auth(admin),
    )
    [row] = failed.json()["data"]
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "failed",
        MAX_ATTEMPTS,
        "HTTP 503",
    )


async def test_unreachable_or_slow_receiver_is_recorded_not_blocking(client, admin, customer):
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    blackhole = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = blackhole.sockets[0].getsockname()[1]
    slow = await subscribe(client, admin, f"http://127.0.0.1:{port}/slow", ["ticket.created"])
    closed = await subscribe(client, admin, "http://127.0.0.1:9/closed", ["ticket.created"])
    response = await client.post(
        f"{API}/tickets", json={"title": "x"}, headers=await auth(customer)
    )
    assert response.status_code == 201  # answered before any delivery is attempted
    async with httpx.AsyncClient(timeout=0.2) as short:
        assert await deliver_due(client=short, allow_private=True) == 2
    blackhole.close()
    for hook, error in ((slow, "ReadTimeout"), (closed, "ConnectError")):
        [row] = await WebhookDelivery.filter(webhook_id=int(hook["id"]))
        assert row.status == "pending" and row.attempts == 1
        assert row.last_error.startswith(error)


async def test_target_is_checked_again_before_sending(client, admin, customer, receiver):
    hook = await subscribe(client, admin, receiver.url, ["ticket.created"])
    await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    assert await deliver_due(allow_private=False) == 1  # e.g. its DNS now points inward
    assert receiver.requests == []
    [row] = await WebhookDelivery.filter(webhook_id=int(hook["id"]))
    assert row.status == "pending"
    assert "loopback or private" in row.last_error


async def test_concurrent_workers_send_each_delivery_once(client, admin, customer, receiver):
    await subscribe(client, admin, receiver.url, ["ticket.created"])
    for i in range(5):
        await client.post(f"{API}/tickets", json={"title": f"t{i}"}, headers=await auth(customer))
    now = clock.now()
    results = await asyncio.gather(*(deliver(now) for _ in range(3)))
    assert sum(results) >= 5
    ids = sorted(h["x-ticketgate-event-id"] for h, _ in receiver.requests)
    assert len(ids) == 5 and len(set(ids)) == 5


async def test_pending_deliveries_survive_a_restart(settings, client, admin, customer, receiver):
    await subscribe(client, admin, receiver.url, ["ticket.created", "user.created"])
    await client.post(
        f"{API}/tickets", json={"title": "before restart"}, headers=await auth(customer)
    )
    assert await WebhookDelivery.filter(status="pending").count() == 1
    # a new server instance (as after a restart) with its background worker delivers it
    restarted = build_app(settings, manage_db=False, webhook_worker=True)
    async with restarted.router.lifespan_context(restarted):
        await asyncio.wait_for(receiver.arrived.wait(), timeout=10)
    [payload] = receiver.bodies()
    assert payload["event"] == "ticket.created"
    ticket = payload["data"]["ticket"]
    assert ticket["title"] == "before restart"
    assert ticket["status"] == "open" and ticket["priority"] == "medium"
    assert ticket["created_by"]["id"] == str(customer.id)
    assert await WebhookDelivery.filter(status="delivered").count() == 1


async def test_a_send_cut_short_by_a_crash_is_retried_after_its_lease(
    client, admin, customer, receiver
):
    await subscribe(client, admin, receiver.url, ["ticket.created"])
    await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    now = clock.now()
    # what a worker leaves behind when it dies between claiming and recording the result
    await WebhookDelivery.all().update(attempts=1, next_attempt_at=now + LEASE)
    assert await deliver(now + LEASE - timedelta(seconds=1)) == 0
    assert await deliver(now + LEASE) == 1
    [row] = await WebhookDelivery.all()
    assert (row.status, row.attempts) == ("delivered", 2)


async def test_changes_through_graphql_are_delivered(client, admin, agent, receiver):
    await subscribe(client, admin, receiver.url)
    token = await token_for(agent)
    created = await gql(
        client,
        'mutation { createTicket(input: {title: "via graphql"}) { ticket { id } } }',
        token,
    )
    assert "errors" not in created, created
    await deliver()
    [payload] = receiver.bodies()
    assert payload["event"] == "ticket.created"
    assert payload["data"]["ticket"]["title"] == "via graphql"
    assert payload["data"]["ticket"]["updated_by"]["id"] == str(agent.id)


async def test_assignment_is_delivered_as_ticket_updated(client, admin, agent, customer, receiver):
    await subscribe(client, admin, receiver.url, ["ticket.updated"])
    ticket = (
        await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    ).json()["data"]
    await client.patch(
        f"{API}/tickets/{ticket['id']}",
        json={"assigned_to": str(agent.id), "priority": "critical"},
        headers=await auth(agent),
    )
    await deliver()
    changes = sorted((p["data"]["ticket"]["changes"] for p in receiver.bodies()), key=str)
    assert changes == [
        {"assigned_to": {"previous": None, "current": str(agent.id)}},
        {"priority": {"previous": "medium", "current": "critical"}},
    ]
    assert {p["event"] for p in receiver.bodies()} == {"ticket.updated"}


async def test_user_created_and_comments(client, admin, agent, customer, receiver):
    await subscribe(client, admin, receiver.url, ["user.created", "comment.created"])
    ticket = (
        await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    ).json()["data"]
    await client.post(
        f"{API}/tickets/{ticket['id']}/comments",
        json={"content": "internal note", "is_internal": True},
        headers=await auth(agent),
    )
    await client.post(
        f"{API}/users",
        json={"name": "N", "email": "n@example.com", "role": "customer"},
        headers=await auth(admin),
    )
    await deliver()
    by_event = {p["event"]: p["data"] for p in receiver.bodies()}
    assert by_event["comment.created"]["comment"]["content"] == "internal note"
    assert by_event["comment.created"]["comment"]["is_internal"] is True
    assert by_event["comment.created"]["ticket"]["id"] == ticket["id"]
    assert by_event["user.created"]["user"]["email"] == "n@example.com"
    assert by_event["user.created"]["user"]["role"] == "customer"


async def test_internal_comments_never_reach_a_webhook_a_customer_owns(
    client, admin, agent, customer, receiver
):
    await subscribe(client, admin, receiver.url, ["comment.created"])
    await User.filter(id=admin.id).update(role="customer")  # the owner loses staff rights
    ticket = (
        await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    ).json()["data"]
    await client.post(
        f"{API}/tickets/{ticket['id']}/comments",
        json={"content": "secret note", "is_internal": True},
        headers=await auth(agent),
    )
    assert await WebhookDelivery.all().count() == 0
    await deliver()
    assert receiver.requests == []


async def test_owner_demoted_after_the_event_is_not_sent(client, admin, agent, customer, receiver):
    hook = await subscribe(client, admin, receiver.url, ["comment.created"])
    ticket = (
        await client.post(f"{API}/tickets", json={"title": "x"}, headers=await auth(customer))
    ).json()["data"]
    await client.post(
        f"{API}/tickets/{ticket['id']}/comments",
        json={"content": "secret note", "is_internal": True},
        headers=await auth(agent),
    )
    await User.filter(id=admin.id).update(role="customer")
    await deliver()
    assert receiver.requests == []
    [row] = await WebhookDelivery.filter(webhook_id=int(hook["id"]))
    assert row.status == "failed"


async def test_inactive_webhooks_wait(client, admin, customer, receiver):
    hook = await subscribe(client, admin, receiver.url, ["ticket.updated", "ticket.created"])
    headers = await auth(customer)
    await client.post(f"{API}/tickets", json={"title": "x"}, headers=headers)
    url = f"{API}/webhooks/{hook['id']}"
    await client.patch(url, json={"active": False}, headers=await auth(admin))
    assert await deliver() == 0
    await client.patch(url, json={"active": True}, headers=await auth(admin))
    assert await deliver() == 1
    assert len(receiver.requests) == 1


def test_an_owner_restricted_to_queues_receives_nothing():
    """Webhooks carry every ticket's events: an owner must see every ticket (an admin demoted to
    an agent keeps receiving only while per-queue staff permission is off)."""
    hook = Webhook(active=True, events=["ticket.created"])
    owner = User(role=Role.AGENT, is_active=True)
    event = Event(kind="ticket.created")
    assert webhooks.receives(hook, owner, event)
    permissions.configure(per_queue=True)
    assert not webhooks.receives(hook, owner, event)
    assert webhooks.receives(hook, User(role=Role.ADMIN, is_active=True), event)
