"""Issue 14 Medium 7: one request budget across every door. A caller cannot multiply it by
switching doors, or by switching between their password and JWTs (each API token is a key with
a budget of its own, as platform v1's reference says); each door refuses in its own format
with `Retry-After`."""

from __future__ import annotations

import argparse
import dataclasses
import uuid

import httpx
import pytest

import commands
from server import build_app
from tests.helpers import PASSWORD, basic, client_of, make_user, token_for

BUDGET = 4
THROTTLED = "Request was throttled. Expected available in"


@pytest.fixture
def app(settings):
    changed = dataclasses.replace(settings, rate_limit_standard=f"{BUDGET}/minute")
    return build_app(changed, manage_db=False)


# (method, path, JSON body) of one cheap request per door
DOORS = {
    "platform_v1": ("GET", "/api/v1/users/me", None),
    "graphql": ("POST", "/graphql", {"query": "{ viewer { id } }"}),
    "helpdesk": ("GET", "/helpdesk/api/tickets/", None),
    "control_panel": ("GET", "/support/tickets", None),
    "nephthys": ("GET", "/api/tickets?status=open", None),
}


async def send(client: httpx.AsyncClient, door: str, headers: dict) -> httpx.Response:
    method, path, body = DOORS[door]
    return await client.request(method, path, json=body, headers=headers)


def assert_throttled(door: str, response: httpx.Response) -> None:
    """429 with Retry-After, in the door's own error body."""
    assert response.status_code == 429, (door, response.text)
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    if door == "platform_v1":
        assert body["error"]["code"] == "rate_limit_exceeded"
        assert body["error"]["message"].startswith(THROTTLED)
        assert response.headers["X-RateLimit-Remaining"] == "0"
    elif door == "graphql":
        [error] = body["errors"]
        retry = int(response.headers["Retry-After"])
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry}
        assert error["message"].startswith(THROTTLED)
    elif door == "helpdesk":
        assert body["detail"].startswith(THROTTLED)
    elif door == "control_panel":
        assert body["error"]["code"] == "too_many_requests"
        assert body["error"]["message"].startswith(THROTTLED)
    else:
        assert body["error"].startswith(THROTTLED)


@pytest.mark.parametrize("spent_on", list(DOORS))
async def test_a_budget_spent_through_one_door_is_spent_for_every_door(
    from_address, agent, spent_on
):
    client = from_address("10.0.0.1")
    headers = {"X-Token": await token_for(agent)}
    for _ in range(BUDGET):
        assert (await send(client, spent_on, headers)).status_code == 200
    for door in DOORS:
        assert_throttled(door, await send(client, door, headers))


async def test_switching_doors_and_user_credentials_shares_one_budget(from_address, agent):
    """A JWT and HTTP Basic are the user's own key (platform v1 budgets per API key: each
    API token has a budget of its own)."""
    client = from_address("10.0.0.1")
    login = await client.post(
        "/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD}
    )
    assert login.status_code == 200  # anonymous: spends the address's budget, not the user's
    jwt = {"Authorization": f"Bearer {login.json()['token']}"}
    password = basic(agent.username)
    credentials = [jwt, password]
    doors = list(DOORS)
    for i in range(BUDGET):
        response = await send(client, doors[i % len(doors)], credentials[i % len(credentials)])
        assert response.status_code == 200
    assert_throttled("helpdesk", await send(client, "helpdesk", password))
    assert_throttled("graphql", await send(client, "graphql", jwt))
    token = {"X-Token": await token_for(agent)}  # a key of its own
    assert (await send(client, "helpdesk", token)).status_code == 200
    # another user from the same address has a budget of their own
    other = {"X-Token": await token_for(await make_user("agent2", "agent"))}
    assert (await send(client, "helpdesk", other)).status_code == 200


async def test_anonymous_callers_and_wrong_credentials_spend_their_address_budget(
    from_address, agent
):
    client, elsewhere = from_address("192.0.2.1"), from_address("192.0.2.2")
    wrong = {"X-Token": "tg_0123456789abcdef_wrong"}
    for i in range(BUDGET):
        door = list(DOORS)[i % len(DOORS)]
        assert (await send(client, door, wrong if i % 2 else {})).status_code in (401, 403, 200)
    for door in DOORS:
        assert_throttled(door, await send(client, door, {}))
    legacy = await client.post(
        "/helpdesk/api/list_queues/", data={"user": "agent", "password": "x"}
    )
    assert_throttled("helpdesk", legacy)
    assert (await send(elsewhere, "graphql", {})).status_code == 200


async def test_health_checks_spend_nothing(from_address):
    client = from_address("192.0.2.9")
    for _ in range(BUDGET + 2):
        assert (await client.get("/healthz")).status_code == 200
    assert (await send(client, "graphql", {})).status_code == 200


async def test_deployments_on_one_redis_keep_their_budgets_apart(settings, redis_url, agent):
    """RATE_LIMIT_PREFIX: two processes of one deployment share a budget through Redis, a
    second deployment on the same Redis has its own."""
    changed = dataclasses.replace(
        settings, rate_limit_standard=f"{BUDGET}/minute", rate_limit_storage=redis_url
    )
    one, two = f"tg-test-{uuid.uuid4().hex}", f"tg-test-{uuid.uuid4().hex}"
    apps = [
        build_app(dataclasses.replace(changed, rate_limit_prefix=p), manage_db=False)
        for p in (one, one, two)
    ]
    clients = [client_of(app) for app in apps]
    headers = {"X-Token": await token_for(agent)}
    try:
        for i in range(BUDGET):
            assert (await send(clients[i % 2], "graphql", headers)).status_code == 200
        assert_throttled("helpdesk", await send(clients[0], "helpdesk", headers))
        assert_throttled("graphql", await send(clients[1], "graphql", headers))
        assert (await send(clients[2], "helpdesk", headers)).status_code == 200
    finally:
        for client in clients:
            await client.aclose()
        for app in (apps[0], apps[2]):
            await app.state.rate_limiter.reset()


def test_several_workers_without_redis_are_warned_about(settings, monkeypatch, caplog, tmp_path):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    # (serving with workers points the metrics at a shared directory: undone after the test)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    commands._serve(settings, argparse.Namespace(workers=3, host="127.0.0.1", port=8104))
    assert "3 workers allow 3 times each budget" in caplog.text
