"""SIGTERM to `ticketgate serve` (docs/operations.md "Shutdown"): within SHUTDOWN_TIMEOUT the
request in flight is answered, the webhook delivery in flight is recorded, every open
subscription is closed with a proper WebSocket close, and the process exits cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx
from httpx_ws import WebSocketDisconnect, aconnect_ws

from models import WebhookDelivery
from resolvers import webhooks
from tests.helpers import bearer, free_port, token_for, wait_ready

SERVER = Path(__file__).resolve().parents[1] / "commands.py"
SHUTDOWN_TIMEOUT = 5  # the bound under test
WAIT = 30  # seconds any one step may take on a busy machine
EVENTS = 'subscription { ticketEvents(after: "0") { type ticketNumber } }'
GOING_AWAY = {1001, 1012}  # RFC 6455's "going away", IANA's "service restart"


class SlowReceiver:
    """A webhook receiver that holds every delivery for `delay` seconds before its 200."""

    def __init__(self, delay: float) -> None:
        self.delay, self.received = delay, asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.received.set()
        await asyncio.sleep(self.delay)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def test_sigterm_finishes_work_and_closes_subscriptions(settings, admin, tmp_path):
    token = await token_for(admin)
    receiver = SlowReceiver(delay=1.0)
    hooks = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    hook_port = hooks.sockets[0].getsockname()[1]
    await webhooks.create_webhook(
        admin,
        url=f"http://127.0.0.1:{hook_port}/hook",
        events=["ticket.created"],
        allow_private=True,
    )
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TICKETGATE_DATA_DIR": str(tmp_path),
        "TICKETGATE_SECRET_KEY": settings.secret_key,
        "WEBHOOKS_ALLOW_PRIVATE": "true",
        "SUBSCRIPTION_POLL_SECONDS": "0.05",
        "SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    command = [sys.executable, str(SERVER), "serve", "--port", str(port)]
    server = await asyncio.create_subprocess_exec(
        *command, env=env, stderr=asyncio.subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url, server)
        async with (
            httpx.AsyncClient(base_url=url, headers=bearer(token), timeout=WAIT) as client,
            aconnect_ws(f"{url}/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
        ):
            await ws.send_json({"type": "connection_init", "payload": bearer(token)})
            assert (await ws.receive_json(timeout=WAIT)) == {"type": "connection_ack"}
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
            first = await client.post("/api/v1/tickets", json={"title": "before"})
            assert first.status_code == 201, first.text
            pushed = await ws.receive_json(timeout=WAIT)  # the subscription is live
            assert pushed["payload"]["data"]["ticketEvents"]["type"] == "ticket.created"
            async with asyncio.timeout(WAIT):
                await receiver.received.wait()  # the delivery is in flight: held 1 s

            body_sent = asyncio.Event()

            async def slow_body():  # a request still arriving when the signal comes
                yield b'{"title": '
                body_sent.set()
                await asyncio.sleep(1.0)
                yield b'"during"}'

            in_flight = asyncio.create_task(
                client.post(
                    "/api/v1/tickets",
                    content=slow_body(),
                    headers={"content-type": "application/json"},
                )
            )
            await body_sent.wait()
            await asyncio.sleep(0.2)  # (the first bytes reach the server)
            signalled = time.monotonic()
            os.killpg(server.pid, signal.SIGTERM)
            try:
                while True:  # anything pushed before the close, then the close itself
                    await ws.receive_json(timeout=WAIT)
            except WebSocketDisconnect as closed:
                close = closed
            answer = await in_flight
        async with asyncio.timeout(WAIT):
            stderr = (await server.stderr.read()).decode()
            await server.wait()
        took = time.monotonic() - signalled
    finally:
        if server.returncode is None:
            os.killpg(server.pid, signal.SIGKILL)
            await server.wait()
        hooks.close()
    assert close.code in GOING_AWAY, (close.code, close.reason)
    assert (answer.status_code, answer.json()["data"]["title"]) == (201, "during")
    assert took < SHUTDOWN_TIMEOUT, took
    assert server.returncode in (0, -signal.SIGTERM), stderr
    logged = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert "Application shutdown complete." in [e["message"] for e in logged]
    assert not [e for e in logged if e["level"] in ("ERROR", "CRITICAL")], logged
    delivered = await WebhookDelivery.all().values_list("status", "attempts")
    assert ("delivered", 1) in delivered  # the held delivery, answered during the shutdown
