"""Issue 14 High 2 and 4: one throttle for every password check (HTTP Basic on every door,
the legacy form, JSON and GraphQL logins), keyed on the account and the client address, that
a stranger cannot use to lock the owner out; argon2 runs off the event loop, two at a time, at
the lowest CPU priority."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import uuid

import httpx
import pytest

from resolvers import auth, credentials, users
from resolvers.ratelimit import RateLimiter
from server import build_app
from tests.helpers import PASSWORD, basic, gql

HELPDESK = "/helpdesk/api/tickets/"
LEGACY = "/helpdesk/api/list_queues/"
FREE_FAILURES = int(auth.LOGIN_FAILURES_PER_ACCOUNT.split()[0])


# ---------------------------------------------------------------- argon2 off the event loop


async def test_password_checks_run_in_threads_while_the_loop_keeps_serving(agent, monkeypatch):
    started, loop_ran = threading.Event(), threading.Event()
    threads = []
    real = users._verify

    def verify(stored, password):
        threads.append(threading.current_thread())
        started.set()
        assert loop_ran.wait(10), "the event loop was blocked during the verification"
        return real(stored, password)

    monkeypatch.setattr(users, "_verify", verify)
    check = asyncio.create_task(users.authenticate_password("agent", PASSWORD))
    assert await asyncio.to_thread(started.wait, 10)  # (awaited on the loop meanwhile)
    loop_ran.set()
    assert (await check).id == agent.id
    assert threads and threads[0] is not threading.main_thread()


async def test_at_most_two_hashes_at_a_time(agent, monkeypatch):
    lock, entered, release = threading.Lock(), threading.Semaphore(0), threading.Event()
    active, most = [0], [0]
    real = users._verify

    def verify(stored, password):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        entered.release()
        release.wait(10)
        with lock:
            active[0] -= 1
        return real(stored, password)

    monkeypatch.setattr(users, "_verify", verify)
    checks = [asyncio.create_task(users.authenticate_password("agent", PASSWORD)) for _ in range(6)]
    for _ in range(users.HASH_CONCURRENCY):
        assert await asyncio.to_thread(entered.acquire, True, 10)
    await asyncio.sleep(0.05)  # time for a third to start, were there no cap
    release.set()
    assert all(u.id == agent.id for u in await asyncio.gather(*checks))
    assert most[0] == users.HASH_CONCURRENCY


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
async def test_password_checks_run_at_the_lowest_cpu_priority(agent, monkeypatch):
    """Guessing passwords cannot take a core from the event loop (docs/reliability.md)."""
    priorities = []
    real = users._verify

    def verify(stored, password):
        priorities.append(os.getpriority(os.PRIO_PROCESS, 0))  # (0: this thread, on Linux)
        return real(stored, password)

    monkeypatch.setattr(users, "_verify", verify)
    assert (await users.authenticate_password("agent", PASSWORD)).id == agent.id
    assert priorities == [19]
    assert os.getpriority(os.PRIO_PROCESS, 0) < 19  # the event loop's thread keeps its own


# ---------------------------------------------------------------- one throttle for every door


async def test_thirty_wrong_basic_passwords_then_the_right_one_is_refused(client, agent):
    statuses = []
    for _ in range(30):
        response = await client.get(HELPDESK, headers=basic("agent", "wrong-password"))
        statuses.append(response.status_code)
    assert statuses == [403] * FREE_FAILURES + [429] * (30 - FREE_FAILURES)
    refused = await client.get(HELPDESK, headers=basic("agent"))
    assert refused.status_code == 429
    retry = int(refused.headers["Retry-After"])
    assert refused.json() == {
        "detail": f"Request was throttled. Expected available in {retry} seconds."
    }
    assert 0 < retry <= auth.ACCOUNT_DELAY_SECONDS


async def test_thirty_wrong_legacy_form_passwords_then_the_right_one_is_refused(client, agent):
    statuses = []
    for _ in range(30):
        response = await client.post(LEGACY, data={"user": "agent", "password": "wrong"})
        statuses.append(response.status_code)
    assert statuses == [403] * FREE_FAILURES + [429] * (30 - FREE_FAILURES)
    refused = await client.post(LEGACY, data={"user": "agent", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.text.startswith("Request was throttled. Expected available in")
    assert int(refused.headers["Retry-After"]) > 0


async def test_username_and_email_share_one_budget_across_doors(client, agent):
    for _ in range(FREE_FAILURES // 2):
        await client.get(HELPDESK, headers=basic("agent", "wrong-password"))
    for _ in range(FREE_FAILURES - FREE_FAILURES // 2):
        await client.post("/api/v1/auth/login", json={"email": agent.email, "password": "nope"})
    body = await gql(
        client,
        "mutation($p: String!) { login(input: {username: $p, password: $p}) { token } }",
        p="agent",
    )
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_stranger_cannot_lock_the_owner_out(from_address, agent):
    owner, stranger, newcomer = (
        from_address(a) for a in ("10.0.0.1", "192.0.2.66", "198.51.100.7")
    )
    login = {"email": agent.email, "password": PASSWORD}
    assert (await owner.post("/api/v1/auth/login", json=login)).status_code == 200
    for _ in range(30):
        await stranger.get(HELPDESK, headers=basic("agent", "wrong-password"))
    credentials.clear()  # (not helped by a cached check)
    assert (await owner.get(HELPDESK, headers=basic("agent"))).status_code == 200
    assert (await owner.post("/api/v1/auth/login", json=login)).status_code == 200
    assert (await stranger.get(HELPDESK, headers=basic("agent"))).status_code == 429
    assert (await newcomer.get(HELPDESK, headers=basic("agent"))).status_code == 429
    # a delayed account is not even checked: a right or a wrong password answer alike
    wrong = await newcomer.get(HELPDESK, headers=basic("agent", "wrong-password"))
    assert wrong.status_code == 429


async def test_unknown_logins_are_throttled_like_known_ones(client, agent):
    async def statuses(login: str) -> list[int]:
        return [
            (await client.get(HELPDESK, headers=basic(login, "wrong-password"))).status_code
            for _ in range(FREE_FAILURES + 2)
        ]

    assert await statuses("agent") == await statuses("nobody-at-all")


async def test_an_address_that_spent_its_budget_is_refused_for_every_account(
    from_address, agent, customer, monkeypatch
):
    monkeypatch.setattr(auth, "LOGIN_FAILURES_PER_ADDRESS", "3 per 15 minutes")
    guesser, elsewhere = from_address("192.0.2.66"), from_address("10.0.0.1")
    for name in ("customer", "someone", "else"):
        await guesser.get(HELPDESK, headers=basic(name, "wrong-password"))
    assert (await guesser.get(HELPDESK, headers=basic("agent"))).status_code == 429
    assert (await elsewhere.get(HELPDESK, headers=basic("agent"))).status_code == 200


@pytest.fixture
async def spent(client_with, monkeypatch):
    """An app whose client address has no failed password check left (nephthys private)."""
    monkeypatch.setattr(auth, "LOGIN_FAILURES_PER_ADDRESS", "1 per 15 minutes")
    async with client_with(nephthys_public=False) as client:
        await client.get(HELPDESK, headers=basic("nobody", "wrong-password"))
        yield client


@pytest.mark.parametrize(
    ("method", "path", "status", "expected"),
    [
        ("GET", HELPDESK, 429, "Request was throttled."),
        ("POST", LEGACY, 429, "Request was throttled."),
        ("GET", "/api/v1/tickets", 429, '"rate_limit_exceeded"'),
        ("GET", "/support/tickets", 429, '"too_many_requests"'),
        ("GET", "/api/tickets?status=open", 429, "Too many failed login attempts"),
        ("POST", "/graphql", 200, '"RATE_LIMITED"'),
    ],
)
async def test_every_door_answers_a_throttled_basic_password_in_its_format(
    spent, agent, method, path, status, expected
):
    if path == LEGACY:
        response = await spent.post(path, data={"user": "agent", "password": PASSWORD})
    elif path == "/graphql":
        response = await spent.post(
            path, json={"query": "{ viewer { id } }"}, headers=basic("agent")
        )
    else:
        response = await spent.request(method, path, headers=basic("agent"))
    assert response.status_code == status, response.text
    assert expected in response.text


async def test_processes_sharing_redis_share_the_throttle(settings, redis_url, agent):
    prefix = f"tg-test-{uuid.uuid4().hex}"
    apps = [build_app(settings, manage_db=False) for _ in range(2)]
    for app in apps:  # (a key prefix of its own, so concurrent runs on one Redis never clash)
        app.state.rate_limiter = RateLimiter(redis_url, key_prefix=prefix)

    def at(app, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    owner, stranger, newcomer = (
        at(apps[0], "10.0.0.1"),
        at(apps[0], "192.0.2.66"),
        at(apps[1], "198.51.100.7"),
    )
    try:
        assert (await owner.get(HELPDESK, headers=basic("agent"))).status_code == 200
        for _ in range(FREE_FAILURES):
            await stranger.get(HELPDESK, headers=basic("agent", "wrong-password"))
        assert (await newcomer.get(HELPDESK, headers=basic("agent"))).status_code == 429
        credentials.clear()
        owner_elsewhere = at(apps[1], "10.0.0.1")
        assert (await owner_elsewhere.get(HELPDESK, headers=basic("agent"))).status_code == 200
        await owner_elsewhere.aclose()
    finally:
        for client in (owner, stranger, newcomer):
            await client.aclose()
        await apps[0].state.rate_limiter.reset()
