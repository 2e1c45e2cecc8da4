"""Operating the server: /metrics, the access log, absolute URLs, shutdown (issue 15)."""

import asyncio
import dataclasses
import json
import logging
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from models import WebhookDelivery
from observe.logs import MAX_VALUE, JsonFormatter, TextFormatter
from resolvers import tickets, webhook_worker, webhooks
from resolvers.files import LocalStorage, NewFile
from resolvers.webhook_worker import WebhookWorker
from server import build_app
from tests.helpers import PASSWORD, bearer, client_of, gql, token_for

METRICS_TOKEN = "metrics-secret"


@pytest.fixture
async def ops_client(settings):
    app = build_app(dataclasses.replace(settings, metrics_token=METRICS_TOKEN), manage_db=False)
    async with client_of(app) as client:
        yield client


async def samples(client) -> dict[tuple, float]:
    """Every sample of `/metrics`: (name, sorted labels) → value."""
    response = await client.get("/metrics", headers=bearer(METRICS_TOKEN))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(found, name, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_need_the_token(client, ops_client):
    assert (await client.get("/metrics")).status_code == 404  # no METRICS_TOKEN: not served
    refused = await ops_client.get("/metrics", headers=bearer("wrong"))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert (await ops_client.get("/metrics")).status_code == 401


async def test_requests_counted_by_door_route_template_and_status(ops_client, agent):
    ticket = await tickets.create_ticket(agent, title="Counted")
    headers = bearer(await token_for(agent))
    before = await samples(ops_client)
    route = {"door": "platform_v1", "route": "/api/v1/tickets/{id}"}
    for _ in range(3):
        answer = await ops_client.get(f"/api/v1/tickets/{ticket.id}", headers=headers)
        assert answer.status_code == 200
    assert (await ops_client.get("/api/v1/tickets/999999", headers=headers)).status_code == 404
    assert (await ops_client.get("/nowhere")).status_code == 404
    after = await samples(ops_client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "ticketgate_http_request_duration_seconds_count"
    assert delta(requests, **route, method="GET", status="200") == 3
    assert delta(requests, **route, method="GET", status="404") == 1
    assert delta(requests, door="server", route="<unmatched>", method="GET", status="404") == 1
    fast = "ticketgate_http_request_duration_seconds_bucket"
    assert delta(fast, **route, method="GET", status="200", le="+Inf") == 3
    # every request sent at least one statement (the token, then the ticket)
    assert delta("ticketgate_sql_statements_total", door="platform_v1") >= 4


async def test_graphql_operations_by_name_and_cost(ops_client, agent):
    token = await token_for(agent)
    before = await samples(ops_client)
    query = "query Recent { tickets(first: 7) { edges { node { title } } } }"
    await gql(ops_client, query, token)
    await gql(ops_client, query, token)
    after = await samples(ops_client)
    name = "ticketgate_graphql_operation_cost"
    count = value(after, f"{name}_count", operation="Recent")
    assert count - value(before, f"{name}_count", operation="Recent") == 2
    assert (
        value(after, f"{name}_sum", operation="Recent")
        - value(before, f"{name}_sum", operation="Recent")
        == 14
    )


async def test_login_failures_and_rate_limit_rejections(ops_client, customer):
    before = await samples(ops_client)
    wrong = {"email": customer.email, "password": "not-the-password"}
    assert (await ops_client.post("/api/v1/auth/login", json=wrong)).status_code == 401
    login = {"email": customer.email, "password": PASSWORD}
    token = (await ops_client.post("/api/v1/auth/login", json=login)).json()["token"]
    for _ in range(100):
        await ops_client.get("/api/v1/users/me", headers=bearer(token))
    assert (await ops_client.get("/api/v1/users/me", headers=bearer(token))).status_code == 429
    after = await samples(ops_client)
    failures = "ticketgate_login_failures_total"
    assert value(after, failures) - value(before, failures) == 1
    rejected = "ticketgate_rate_limit_rejections_total"
    assert value(after, rejected, budget="request") - value(before, rejected, budget="request") == 1


async def test_webhook_queue_depth_and_failures(ops_client, admin):
    hook = await webhooks.create_webhook(
        admin, url="http://127.0.0.1:9/x", events=["ticket.created"], allow_private=True
    )
    await tickets.create_ticket(admin, title="Queued")
    assert await WebhookDelivery.filter(webhook=hook, status="pending").count() == 1
    found = await samples(ops_client)
    assert value(found, "ticketgate_webhook_deliveries_pending") == 1
    before = value(found, "ticketgate_webhook_attempts_total", outcome="retry")
    refused = httpx.MockTransport(lambda request: httpx.Response(500))
    async with httpx.AsyncClient(transport=refused) as client:
        await webhook_worker.deliver_due(client=client, allow_private=True)
    found = await samples(ops_client)
    assert value(found, "ticketgate_webhook_attempts_total", outcome="retry") - before == 1


async def test_one_access_log_line_per_request(client, agent, caplog):
    ticket = await tickets.create_ticket(agent, title="Logged")
    token = await token_for(agent)
    caplog.set_level(logging.INFO, logger="ticketgate.access")
    response = await client.get(
        f"/helpdesk/api/tickets/{ticket.id}/",
        headers={**bearer(token), "x-request-id": "req-42"},
    )
    assert response.status_code == 200
    await gql(client, "query Mine { me { username } }", token)
    lines = [r for r in caplog.records if r.name == "ticketgate.access"]
    assert len(lines) == 2
    entry = json.loads(JsonFormatter().format(lines[0]))
    assert set(entry) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "door",
        "method",
        "route",
        "status",
        "duration_ms",
        "user_id",
        "sql_statements",
    }
    assert (entry["request_id"], entry["door"], entry["route"], entry["status"]) == (
        "req-42",
        "helpdesk",
        "/helpdesk/api/tickets/{id}/",
        200,
    )
    assert entry["user_id"] == agent.id and entry["level"] == "INFO"
    graphql = json.loads(JsonFormatter().format(lines[1]))
    assert (graphql["door"], graphql["route"], graphql["graphql_operation"]) == (
        "graphql",
        "/graphql",
        "Mine",
    )


@pytest.mark.parametrize("path", ["/graphql", "/api/v1/tickets", "/helpdesk/api/tickets/"])
async def test_a_client_gone_before_its_body_is_no_error(app, agent, caplog, path):
    """A client that disconnects while its POST body is read (a load generator stopping, a
    phone losing signal) gets nothing sent and logs no error: one access line, status 499."""
    caplog.set_level(logging.INFO)
    token = await token_for(agent)
    sent = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"content-length", b"100")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    assert sent == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    access = [r for r in caplog.records if r.name == "ticketgate.access"]
    assert [r.status for r in access] == [499]


def test_log_values_are_truncated_and_tracebacks_kept():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, "f", 1, "x" * 10_000, (), sys.exc_info())
    record.route = "/" + "a" * 5000
    entry = json.loads(JsonFormatter().format(record))
    assert len(entry["route"]) == MAX_VALUE + 1 and entry["route"].endswith("…")
    assert len(entry["message"]) < 2100
    assert "ValueError: boom" in entry["traceback"]


async def test_absolute_urls_follow_the_request_or_public_base_url(settings, agent):
    storage = LocalStorage(settings.data_dir / "files")
    ticket = await tickets.create_ticket(
        agent, title="Files", files=[NewFile("a.txt", "text/plain", b"hi")], storage=storage
    )
    headers = bearer(await token_for(agent))
    path = f"/api/v1/tickets/{ticket.id}"
    app = build_app(settings, manage_db=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://example.org:9000"
    ) as c:
        url = (await c.get(path, headers=headers)).json()["data"]["attachments"][0]["url"]
    assert url.startswith("http://example.org:9000/api/v1/attachments/")
    public = dataclasses.replace(settings, public_base_url="https://tickets.example.com")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_app(public, manage_db=False)),
        base_url="http://127.0.0.1:9000",
    ) as c:
        url = (await c.get(path, headers=headers)).json()["data"]["attachments"][0]["url"]
        page = (await c.get("/helpdesk/api/tickets/?page_size=1", headers=headers)).json()
        root = (await c.get("/helpdesk/api/", headers=headers)).json()
    assert url.startswith("https://tickets.example.com/api/v1/attachments/")
    assert page["next"] is None or page["next"].startswith("https://tickets.example.com/")
    assert root["tickets"] == "https://tickets.example.com/helpdesk/api/tickets/"


@pytest.mark.parametrize("bad", ["example.com", "ftp://x", "https://x/prefix", "https://u@x"])
def test_public_base_url_must_be_an_origin(settings, bad):
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL must be"):
        build_app(dataclasses.replace(settings, public_base_url=bad), manage_db=False)


async def test_webhook_worker_stops_within_the_shutdown_bound(monkeypatch):
    stuck = asyncio.Event()

    async def never_finishes(**kwargs):
        await stuck.wait()

    monkeypatch.setattr(webhook_worker, "deliver_due", never_finishes)
    worker = WebhookWorker(allow_private=False)
    await worker.start()
    await asyncio.sleep(0)
    assert worker.running
    await worker.stop(grace=0.01)  # the pass in progress never ends: it is cancelled
    assert not worker.running


def test_text_format_names_the_request_and_keeps_tracebacks():
    record = logging.LogRecord("ticketgate.access", logging.INFO, "f", 1, "GET %s", ("/x",), None)
    record.request_id, record.user_id = "req-7", 3
    assert TextFormatter().format(record) == "INFO ticketgate.access: GET /x rid=req-7 user=3"
    try:
        raise ValueError("boom")
    except ValueError:
        error = logging.LogRecord("t", logging.ERROR, "f", 1, "failed", (), sys.exc_info())
    assert TextFormatter().format(error).endswith("ValueError: boom")
