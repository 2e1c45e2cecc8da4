"""What a credential costs per request (cache, last_used_at, argon2 off the event loop) and the
one password throttle every door shares, over HTTP."""

from __future__ import annotations

import asyncio
import base64
import threading
import uuid
from datetime import timedelta

import httpx
import pytest

from models import ApiToken, RevokedSession, User
from resolvers import auth, clock, credentials, tokens, users
from resolvers.errors import Unauthenticated
from resolvers.permissions import SYSTEM
from resolvers.ratelimit import RateLimiter
from server import build_app
from tests.helpers import PASSWORD, bearer, gql, token_for

SECRET = "a-test-secret-that-is-at-least-32-bytes-long"
HELPDESK = "/helpdesk/api/tickets/"
LEGACY = "/helpdesk/api/list_queues/"
FREE_FAILURES = int(auth.LOGIN_FAILURES_PER_ACCOUNT.split()[0])


def basic(user: str, password: str = PASSWORD) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def authenticate(headers: dict[str, str], client: str = "10.0.0.1") -> User | None:
    return await auth.authenticate(headers, SECRET, limiter=RateLimiter(), client=client)


@pytest.fixture
async def from_address(app):
    """HTTP clients seen as coming from a given client address."""
    opened: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return opened[-1]

    yield make
    for client in opened:
        await client.aclose()


class FakeTimer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timer():
    fake = FakeTimer()
    credentials.configure(ttl_seconds=5, timer=fake)
    yield fake
    credentials.configure()


# ---------------------------------------------------------------- the cache


async def credential_styles(user: User) -> list[dict[str, str]]:
    _, raw = await tokens.create_token(SYSTEM, user.id)
    jwt_token, _ = auth.issue_jwt(user, SECRET, 60)
    return [
        {"authorization": f"Bearer {raw}"},
        {"authorization": f"Token {raw}"},
        {"x-token": raw},
        {"authorization": f"Bearer {jwt_token}"},
        basic("agent"),
    ]


async def test_a_cached_credential_runs_no_sql(agent, count_sql):
    for headers in await credential_styles(agent):
        credentials.clear()
        with count_sql() as first:
            await authenticate(headers)
        await credentials.drain()
        with count_sql() as again:
            user = await authenticate(headers)
        assert len(first) == 1, headers  # one query fills the cache (token + owner: one join)
        assert again == [], headers
        assert (user.id, user.role, user.is_staff, user.email) == (
            agent.id,
            "agent",
            True,
            "agent@example.com",
        )


async def test_each_request_gets_its_own_user_instance(agent):
    _, raw = await tokens.create_token(SYSTEM, agent.id)
    first = await authenticate({"x-token": raw})
    first.name = "changed by one request"
    second = await authenticate({"x-token": raw})
    assert second.name == "Agent"
    loaded = await User.get(id=agent.id)
    fields = User._meta.fields_db_projection
    assert {f: getattr(second, f) for f in fields} == {f: getattr(loaded, f) for f in fields}
    second.name = "saved by another"
    await second.save(update_fields=["name"])  # a cached instance writes like a loaded one
    assert (await User.get(id=agent.id)).name == "saved by another"


async def test_a_cached_viewer_costs_no_sql_over_graphql(client, agent, count_sql):
    token = await token_for(agent)
    await gql(client, "{ viewer { username } }", token)
    await credentials.drain()
    with count_sql() as statements:
        body = await gql(client, "{ viewer { username } }", token)
    assert body["data"] == {"viewer": {"username": "agent"}}
    assert statements == []


async def test_domain_changes_take_effect_at_once(admin, agent):
    styles = await credential_styles(agent)
    for headers in styles:
        assert (await authenticate(headers)).role == "agent"
    await users.update_user(admin, agent.id, role="customer")
    for headers in styles:
        assert (await authenticate(headers)).is_staff is False, headers
    await users.update_user(admin, agent.id, is_active=False)
    for headers in styles:
        with pytest.raises(Unauthenticated):
            await authenticate(headers)


async def test_a_revoked_token_is_refused_at_once(agent):
    row, raw = await tokens.create_token(SYSTEM, agent.id)
    assert (await authenticate({"x-token": raw})).id == agent.id
    await tokens.revoke_token(agent, row.id)
    with pytest.raises(Unauthenticated):
        await authenticate({"x-token": raw})


async def test_a_changed_password_stops_working_at_once(agent):
    assert (await authenticate(basic("agent"))).id == agent.id
    await users.set_password(agent, agent.id, "a-brand-new-secret")
    with pytest.raises(Unauthenticated):
        await authenticate(basic("agent"))
    assert (await authenticate(basic("agent", "a-brand-new-secret"))).id == agent.id


async def test_changes_made_elsewhere_are_seen_within_the_ttl(agent, timer):
    """Another process's change (here: straight in the database) is served stale for at most
    the cache's lifetime."""
    styles = await credential_styles(agent)
    for headers in styles:
        await authenticate(headers)
    await User.filter(id=agent.id).update(is_active=False)
    timer.now += 4.9
    for headers in styles:
        assert (await authenticate(headers)).id == agent.id  # still cached
    timer.now += 0.2
    for headers in styles:
        with pytest.raises(Unauthenticated):
            await authenticate(headers)


async def test_a_session_signed_out_elsewhere_ends_within_the_ttl(agent, timer, count_sql):
    """Another process's logout (here: the row written straight) is seen within the cache's
    lifetime; until then the cached JWT costs no SQL, then one query a lifetime."""
    raw, expires_at = auth.issue_jwt(agent, SECRET, 600)
    headers = {"authorization": f"Bearer {raw}"}
    with count_sql() as cold:
        await authenticate(headers)
    assert len(cold) == 1  # the user's row and the session, one query
    jti = auth._verified(raw, SECRET).jti
    await RevokedSession.create(jti=jti, user_id=agent.id, expires_at=expires_at)
    timer.now += 4.9
    with count_sql() as warm:
        assert (await authenticate(headers)).id == agent.id  # still cached
    assert warm == []
    timer.now += 0.2
    with pytest.raises(Unauthenticated):
        await authenticate(headers)


async def test_the_cache_is_bounded(agent):
    credentials.configure(ttl_seconds=5, max_entries=2)
    try:
        raws = [(await tokens.create_token(SYSTEM, agent.id))[1] for _ in range(5)]
        for raw in raws:
            await authenticate({"x-token": raw})
        assert len(credentials._caches.tokens) == 2
    finally:
        credentials.configure()


async def test_passwords_are_cached_by_keyed_hash_per_address_and_never_when_wrong(
    agent, monkeypatch
):
    verified = []
    real = users._verify

    def counting(stored, password):
        verified.append(password)
        return real(stored, password)

    monkeypatch.setattr(users, "_verify", counting)
    for _ in range(3):
        await authenticate(basic("agent"))
    assert len(verified) == 1
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await authenticate(basic("agent", "wrong-password"))
    assert len(verified) == 3  # a wrong password is checked every time
    await authenticate(basic("agent"), client="10.0.0.2")  # another address: checked again
    assert len(verified) == 4
    for key in credentials._caches.passwords:
        assert len(key) == 32 and PASSWORD.encode() not in key


async def test_a_basic_password_is_verified_once_while_its_user_stays_the_same(
    agent, timer, monkeypatch
):
    """The user's row is read again every ttl, but the password is not verified again as long
    as its hash did not change; a change made elsewhere still ends it within the ttl."""
    verified = []
    real = users._verify
    monkeypatch.setattr(users, "_verify", lambda s, p: verified.append(p) or real(s, p))
    for _ in range(4):
        assert (await authenticate(basic("agent"))).id == agent.id
        timer.now += 5.1  # past the users' ttl: the row is read again
    assert len(verified) == 1
    await User.filter(id=agent.id).update(password_hash=users.hash_password("another-one"))
    timer.now += 5.1
    with pytest.raises(Unauthenticated):
        await authenticate(basic("agent"))


async def test_concurrent_requests_with_one_basic_password_share_one_verification(
    agent, monkeypatch
):
    verified = []
    real = users._verify
    monkeypatch.setattr(users, "_verify", lambda s, p: verified.append(p) or real(s, p))
    found = await asyncio.gather(*(authenticate(basic("agent")) for _ in range(8)))
    assert {u.id for u in found} == {agent.id} and len(verified) == 1
    failed = await asyncio.gather(
        *(authenticate(basic("agent", "wrong")) for _ in range(4)), return_exceptions=True
    )
    assert all(isinstance(e, Unauthenticated) for e in failed) and len(verified) == 2


# ---------------------------------------------------------------- last_used_at


async def test_last_used_at_is_written_once_a_minute_off_the_read_path(
    agent, monkeypatch, count_sql
):
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now)
    row, raw = await tokens.create_token(SYSTEM, agent.id)

    async def use(at) -> tuple[list[str], list[str]]:
        nonlocal now
        now = at
        with count_sql() as request:
            await authenticate({"x-token": raw})
        with count_sql() as background:
            await credentials.drain()
        return request, background

    request, background = await use(now)
    assert [s.split()[0] for s in request + background] == ["SELECT", "UPDATE"]
    assert (await ApiToken.get(id=row.id)).last_used_at == now
    first = now
    assert await use(first + timedelta(seconds=59)) == ([], [])
    request, background = await use(first + timedelta(seconds=61))
    assert request == [] and [s.split()[0] for s in background] == ["UPDATE"]
    assert (await ApiToken.get(id=row.id)).last_used_at == first + timedelta(seconds=61)


async def test_tokens_used_within_a_minute_are_recorded_together(client, agent):
    """One write for every token in use, so the store's data version (and every ETag) changes
    at most once a minute however many clients poll; shutdown (drain) writes what is left.
    (On PostgreSQL other databases' writes also move the version: tried up to ten times.)"""
    url = "/helpdesk/api/tickets/"
    used = 0
    for _ in range(10):
        raws = [(await tokens.create_token(SYSTEM, agent.id))[1] for _ in range(3)]
        tagged = await client.get(url, headers={"x-token": raws[0]})
        for raw in raws[1:]:  # other clients' first requests
            assert (await client.get(url, headers={"x-token": raw})).status_code == 200
        used += len(raws)
        conditional = {"x-token": raws[0], "If-None-Match": tagged.headers["etag"]}
        if (await client.get(url, headers=conditional)).status_code == 304:
            break  # nothing was written in between
    else:
        pytest.fail("no 304 in ten tries")
    assert await ApiToken.filter(last_used_at__isnull=False).count() == 0
    await credentials.drain()
    assert await ApiToken.filter(last_used_at__isnull=False).count() == used


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


# ---------------------------------------------------------------- over-long values


LONG_BASIC = basic("u" * 151, "pw")
LONG_TOKEN = {"X-Token": "tg_" + "a" * 17 + "_x"}


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        (HELPDESK, 403, None),
        ("/api/v1/tickets", 401, '"unauthorized"'),
        ("/support/tickets", 401, '"unauthorized"'),
    ],
)
@pytest.mark.parametrize("headers", [LONG_BASIC, LONG_TOKEN], ids=["basic", "token"])
async def test_over_long_credentials_are_invalid_in_each_doors_format(
    client, agent, path, status, body, headers
):
    response = await client.get(path, headers=headers)
    assert response.status_code == status, response.text
    if path == HELPDESK:
        bad = "Invalid username/password." if headers is LONG_BASIC else "Invalid token."
        assert response.json() == {"detail": bad}
    else:
        assert body in response.text


async def test_over_long_credentials_on_nephthys_and_graphql(client, client_with, agent):
    async with client_with(nephthys_public=False) as private:
        for headers in (LONG_BASIC, LONG_TOKEN):
            response = await private.get("/api/tickets?status=open", headers=headers)
            assert (response.status_code, response.json()) == (401, {"error": "unauthorized"})
            body = (
                await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
            ).json()
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_over_long_logins_are_invalid_credentials(client, agent):
    response = await client.post("/api/v1/auth/login", json={"email": "e" * 151, "password": "x"})
    assert response.status_code == 401 and '"unauthorized"' in response.text
    body = await gql(
        client,
        "mutation($p: String!) { login(input: {email: $p, password: $p}) { token } }",
        p="e" * 300 + "@example.com",
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    legacy = await client.post(LEGACY, data={"user": "u" * 151, "password": "x"})
    assert (legacy.status_code, legacy.text) == (403, "Invalid username or password")
    assert (await client.get(HELPDESK, headers=bearer("tg_" + "a" * 17 + "_x"))).status_code == 403


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
