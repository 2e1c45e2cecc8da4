"""What a credential costs per request: the cache and last_used_at. (Argon2 off the event
loop and the password throttle: tests/security/test_password_throttle.py.)"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models import ApiToken, RevokedSession, User
from resolvers import auth, clock, credentials, tokens, users
from resolvers.errors import Unauthenticated
from resolvers.permissions import SYSTEM
from resolvers.ratelimit import RateLimiter
from tests.helpers import PASSWORD, basic, gql, token_for

SECRET = "a-test-secret-that-is-at-least-32-bytes-long"


async def authenticate(headers: dict[str, str], client: str = "10.0.0.1") -> User | None:
    return await auth.authenticate(headers, SECRET, limiter=RateLimiter(), client=client)


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


async def test_requests_that_miss_together_share_one_lookup(agent, count_sql):
    """Fifty requests arriving as a credential's entry expires run one query between them
    (each ran its own, queued behind the others, and the last waited seconds under load)."""
    for headers in await credential_styles(agent):
        credentials.clear()
        with count_sql() as statements:
            found = await asyncio.gather(*(authenticate(headers) for _ in range(50)))
        assert {user.id for user in found} == {agent.id}, headers
        assert len({id(user) for user in found}) == 50  # each its own instance
        assert len([s for s in statements if "SELECT" in s]) == 1, headers
        await credentials.drain()


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


@pytest.mark.alone  # asserts a 304 (tests/conftest.py)
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
