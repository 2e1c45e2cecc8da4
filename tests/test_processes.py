"""Two `ticketgate serve` processes on two ports over one PostgreSQL and one Redis, as
docs/operations.md deploys them (issue 15, item 10): what one writes the other reads and
pushes to its subscribers, rate limits are shared, a webhook is delivered once, and SIGTERM
ends both cleanly."""

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from httpx_ws import connect_ws

from tests.helpers import ON_POSTGRES, free_port
from tests.test_cli import ROOT, cli_env, run  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="several processes share PostgreSQL (the PostgreSQL pass runs it)"
)
WAIT = 30.0  # seconds any one step may take on a busy machine
EVENTS = 'subscription { ticketEvents(after: "0") { type ticketNumber payload } }'


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[dict] = []

    def do_POST(self):
        length = int(self.headers["content-length"])
        Receiver.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def receiver():
    Receiver.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def until(check, what: str):
    """Poll `check` until it returns something true (a bounded wait for another process)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def psql(env, query: str) -> str:
    url = env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    return subprocess.run(
        ["psql", url, "-Atc", query], capture_output=True, text=True, check=True
    ).stdout.strip()


def pushed_title(ws) -> str:
    """The title of the next ticket.created event pushed to a subscriber."""
    message = ws.receive_json(timeout=WAIT)
    assert message["type"] == "next", message
    event = message["payload"]["data"]["ticketEvents"]
    assert event["type"] == "ticket.created", event
    return event["payload"]["title"]


def bearer_of(env, username: str) -> dict[str, str]:
    token = run(env, "create-token", username).stdout.split()[-1]
    return {"Authorization": f"Bearer {token}"}


def test_two_processes_share_one_postgresql_and_one_redis(cli_env, redis_url):  # noqa: F811
    env = {
        **cli_env,
        "REDIS_URL": redis_url,
        "RATE_LIMIT_PREFIX": f"tg-e2e-{os.getpid()}",
        "TICKETGATE_SECRET_KEY": "one-secret-for-every-process-of-the-deployment",
        "RATE_LIMIT_STANDARD": "6/minute",
        "WEBHOOKS_ALLOW_PRIVATE": "true",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "SHUTDOWN_TIMEOUT": "5",
        "SUBSCRIPTION_POLL_SECONDS": "0.1",
    }
    assert run(env, "migrate").returncode == 0
    for name, role in (("boss", "admin"), ("ann", "customer")):
        made = run(env, "create-user", name, "--role", role, "--password", "s3cure-pass!")
        assert made.returncode == 0, made.stderr
    admin, customer = bearer_of(env, "boss"), bearer_of(env, "ann")
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "commands.py"), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,  # (a few dozen log lines: far below a pipe's buffer)
            start_new_session=True,
        )
        for port in ports
    ]
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        for base in (a, b):
            until(lambda base=base: ready(base), f"{base}/readyz")
        with (
            receiver() as hook_url,
            httpx.Client(timeout=WAIT) as ws_client,
            connect_ws(f"{b}/graphql", ws_client, subprotocols=["graphql-transport-ws"]) as ws,
        ):
            # a subscriber on B, live once it has been replayed a ticket made on A before
            ws.send_json({"type": "connection_init", "payload": admin})
            assert ws.receive_json(timeout=WAIT) == {"type": "connection_ack"}
            first = httpx.post(f"{a}/api/v1/tickets", json={"title": "First"}, headers=admin)
            assert first.status_code == 201, first.text
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
            assert pushed_title(ws) == "First"
            hook = {"url": hook_url, "events": ["ticket.created"], "secret": "s" * 20}
            made = httpx.post(f"{a}/api/v1/webhooks", json=hook, headers=admin)
            assert made.status_code == 201, made.text
            created = httpx.post(f"{a}/api/v1/tickets", json={"title": "Both"}, headers=admin)
            assert created.status_code == 201, created.text
            ticket_id = created.json()["data"]["id"]
            assert pushed_title(ws) == "Both"  # from A's write, through B's event hub
            # read through the other process (and another door)
            seen = httpx.get(f"{b}/helpdesk/api/tickets/{ticket_id}/", headers=admin)
            assert (seen.status_code, seen.json()["title"]) == (200, "Both")
            # one budget for both processes (Redis): 6 a minute, then 429 from either
            answers = [
                httpx.get(f"{(a, b)[i % 2]}/api/v1/users/me", headers=customer).status_code
                for i in range(8)
            ]
            assert answers == [200] * 6 + [429] * 2

            # both processes run a webhook worker; the delivery is claimed by one of them
            def settled() -> str | None:
                found = psql(env, "SELECT status, attempts FROM webhook_deliveries")
                return found if found.startswith(("delivered", "failed")) else None

            assert until(settled, "the delivery's outcome") == "delivered|1"
        assert [body["event"] for body in Receiver.bodies] == ["ticket.created"]
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=WAIT)
    for server in servers:  # uvicorn re-raises the SIGTERM once it has shut down cleanly
        logged = [json.loads(line) for line in server.stderr.read().decode().splitlines()]
        messages = [entry["message"] for entry in logged]
        assert "Application shutdown complete." in messages, messages[-5:]
        assert not [e for e in logged if e["level"] in ("ERROR", "CRITICAL")]
        assert server.returncode in (0, -signal.SIGTERM)
