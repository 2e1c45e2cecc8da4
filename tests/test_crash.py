"""kill -9 during 50 concurrent writers through several doors, on two server processes:
every acknowledged write is in the store afterwards, with its event and webhook delivery."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from models import Comment, Event, Ticket, WebhookDelivery
from resolvers import events, tickets, webhooks
from tests.helpers import bearer, token_for, wait_ready

WRITERS, KILL_AFTER = 50, 100  # acknowledged writes before the kill
SERVER = Path(__file__).resolve().parents[1] / "commands.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _write_until_killed(url: str, token: str, ticket_id: int, acked: dict, enough):
    """One writer: a GraphQL ticket, a platform v1 ticket, a platform v1 comment, again."""
    create = 'mutation { createTicket(input: {title: "crash"}) { ticket { id } } }'
    async with httpx.AsyncClient(base_url=url, headers=bearer(token), timeout=60) as client:
        for n in range(10_000):
            try:
                if n % 3 == 0:
                    answer = await client.post("/graphql", json={"query": create})
                    node = answer.json()["data"]["createTicket"]["ticket"]["id"]
                    acked["tickets"].add(int(base64.b64decode(node).decode().split(":")[1]))
                elif n % 3 == 1:
                    answer = await client.post("/api/v1/tickets", json={"title": "crash"})
                    assert answer.status_code == 201, answer.text
                    acked["tickets"].add(int(answer.json()["data"]["id"]))
                else:
                    answer = await client.post(
                        f"/api/v1/tickets/{ticket_id}/comments", json={"content": "crash"}
                    )
                    assert answer.status_code == 201, answer.text
                    acked["comments"].add(int(answer.json()["data"]["id"]))
            except httpx.TransportError:  # the server is gone: this write was not acknowledged
                return
            if len(acked["tickets"]) + len(acked["comments"]) >= KILL_AFTER:
                enough.set()


async def test_kill_9_loses_no_acknowledged_write(settings, admin, agent, customer, tmp_path):
    token = await token_for(agent)
    target = await tickets.create_ticket(customer, title="commented")
    await webhooks.create_webhook(
        admin, url="http://127.0.0.1:9/hook", events=["ticket.created"], allow_private=True
    )
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TICKETGATE_DATA_DIR": str(tmp_path),
        "TICKETGATE_SECRET_KEY": settings.secret_key,
        "WEBHOOKS_ENABLED": "false",  # deliveries stay pending, to be counted
        "RATE_LIMIT_STANDARD": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, str(SERVER), "serve", "--port", str(port), "--workers", "2"]
    server = await asyncio.create_subprocess_exec(*command, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    acked: dict[str, set[int]] = {"tickets": set(), "comments": set()}
    try:
        await wait_ready(url, server)
        enough = asyncio.Event()
        writers = [
            asyncio.create_task(_write_until_killed(url, token, target.id, acked, enough))
            for _ in range(WRITERS)
        ]
        await enough.wait()
        os.killpg(server.pid, signal.SIGKILL)
        await asyncio.gather(*writers)
    finally:
        if server.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
        await server.wait()
    assert len(acked["tickets"]) + len(acked["comments"]) >= KILL_AFTER
    stored = set(await Ticket.filter(id__in=acked["tickets"]).values_list("id", flat=True))
    assert stored == acked["tickets"]
    created = await Event.filter(kind=events.TICKET_CREATED, ticket_id__in=acked["tickets"])
    assert {e.ticket_id for e in created} == acked["tickets"]
    delivered = await WebhookDelivery.filter(event_id__in=[e.id for e in created]).count()
    assert delivered == len(created)
    comments = set(await Comment.filter(id__in=acked["comments"]).values_list("id", flat=True))
    assert comments == acked["comments"]
