"""Users, password hashing, API tokens, JWTs and the shared credential parser."""

import base64

import pytest

from models import ApiToken, Event, User
from resolvers import auth, credentials, tokens, users
from resolvers.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from resolvers.pagination import Window
from resolvers.permissions import SYSTEM
from resolvers.ratelimit import RateLimiter
from resolvers.users import UserFilter
from tests.helpers import PASSWORD, make_user

SECRET = "a-test-secret-that-is-at-least-32-bytes-long"


async def authenticate(headers: dict[str, str]) -> User | None:
    return await auth.authenticate(headers, SECRET, limiter=RateLimiter(), client="10.0.0.1")


async def test_passwords_are_argon2_hashes(agent):
    stored = await User.get(id=agent.id)
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


async def test_create_user_records_event_and_refuses_duplicates(admin):
    user = await users.create_user(admin, username="newbie", email="NEW@example.com")
    assert user.email == "new@example.com" and user.role == "customer"
    assert await Event.filter(kind="user.created").count() == 2  # admin fixture + newbie
    with pytest.raises(Conflict):
        await users.create_user(admin, username="newbie")
    with pytest.raises(Conflict):
        await users.create_user(admin, username="other", email="new@example.com")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"username": "has space"}, "username"),
        ({"username": "ok", "role": "boss"}, "role"),
        ({"username": "ok", "password": "short"}, "password"),
        ({"username": "ok", "password": "1234567890"}, "password"),
        ({"username": "ok", "email": "nope"}, "email"),
    ],
)
async def test_create_user_validation(admin, values, field):
    with pytest.raises(Invalid) as err:
        await users.create_user(admin, **values)
    assert err.value.field == field


async def test_only_admins_create_users(agent):
    with pytest.raises(Forbidden):
        await users.create_user(agent, username="x")


async def test_customers_read_only_themselves(customer, agent):
    assert (await users.get_user(customer, customer.id)).id == customer.id
    with pytest.raises(NotFound):
        await users.get_user(customer, agent.id)
    page = await users.list_users(customer, UserFilter(), Window(0, 20))
    assert [u.id for u in page.items] == [customer.id]


async def test_list_users_filters(admin, agent, customer):
    page = await users.list_users(admin, UserFilter(role="agent"), Window(0, 20))
    assert [u.username for u in page.items] == ["agent"]
    page = await users.list_users(admin, UserFilter(search="CUST"), Window(0, 20))
    assert [u.username for u in page.items] == ["customer"]


async def test_authenticate_by_username_or_email(agent):
    assert (await users.authenticate_password("agent", PASSWORD)).id == agent.id
    assert (await users.authenticate_password("AGENT@example.com", PASSWORD)).id == agent.id
    for login, password in [("agent", "wrong-password"), ("ghost", PASSWORD), ("", "")]:
        with pytest.raises(Unauthenticated):
            await users.authenticate_password(login, password)


async def test_inactive_users_cannot_log_in(agent):
    await User.filter(id=agent.id).update(is_active=False)
    with pytest.raises(Unauthenticated):
        await users.authenticate_password("agent", PASSWORD)


@pytest.mark.parametrize("login", ["a" * 151, "a" * 250 + "@x.io", "agent\x00", "b@" + "c" * 300])
async def test_logins_of_no_possible_shape_are_simply_wrong(agent, login):
    with pytest.raises(Unauthenticated):
        await users.authenticate_password(login, PASSWORD)


async def test_admins_change_roles_and_deactivate(admin, agent):
    assert (await users.update_user(admin, agent.id, role="customer")).role == "customer"
    assert (await users.update_user(admin, agent.id, is_active=False)).is_active is False
    assert (await User.get(id=agent.id)).role == "customer"
    with pytest.raises(Forbidden):
        await users.update_user(agent, admin.id, is_active=False)
    with pytest.raises(Invalid):
        await users.update_user(admin, agent.id, role="boss")
    with pytest.raises(NotFound):
        await users.update_user(admin, 424242, role="agent")


async def test_set_password_yourself_or_as_admin(admin, agent, customer):
    await users.set_password(agent, agent.id, "a-brand-new-secret")
    assert (await users.authenticate_password("agent", "a-brand-new-secret")).id == agent.id
    with pytest.raises(Unauthenticated):
        await users.authenticate_password("agent", PASSWORD)
    await users.set_password(admin, customer.id, "reset-by-admin")
    with pytest.raises(Forbidden):
        await users.set_password(agent, customer.id, "not-yours-to-set")
    with pytest.raises(Invalid):
        await users.set_password(agent, agent.id, "short")


async def test_revoke_token_yours_or_as_admin(admin, agent, customer):
    mine, raw = await tokens.create_token(agent, agent.id)
    theirs, _ = await tokens.create_token(customer, customer.id)
    with pytest.raises(NotFound):  # (someone else's token does not exist for you)
        await tokens.revoke_token(agent, theirs.id)
    await tokens.revoke_token(agent, mine.id)
    assert await tokens.token_user_id(raw) is None
    await tokens.revoke_token(admin, theirs.id)
    assert not await ApiToken.exists()


async def test_tokens_are_stored_hashed_and_shown_once(agent):
    row, raw = await tokens.create_token(agent, agent.id, "ci")
    assert raw.startswith("tg_") and raw.split("_")[1] == row.key_id
    stored = await ApiToken.get(id=row.id)
    assert raw.split("_", 2)[2] not in stored.digest
    assert await tokens.token_user_id(raw) == agent.id
    assert await tokens.token_user_id(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    await credentials.drain()  # (last_used_at is written in the background)
    assert (await ApiToken.get(id=row.id)).last_used_at is not None


async def test_only_admins_make_tokens_for_others(agent, customer, admin):
    with pytest.raises(Forbidden):
        await tokens.create_token(agent, customer.id)
    _, raw = await tokens.create_token(admin, customer.id)
    assert await tokens.token_user_id(raw) == customer.id


async def test_every_credential_style(agent):
    _, raw = await tokens.create_token(agent, agent.id)
    jwt_token, _ = auth.issue_jwt(agent, SECRET, 60)
    basic = base64.b64encode(f"agent:{PASSWORD}".encode()).decode()
    for headers in [
        {"authorization": f"Bearer {raw}"},
        {"authorization": f"Token {raw}"},
        {"x-token": raw},
        {"authorization": f"Bearer {jwt_token}"},
        {"authorization": f"Basic {basic}"},
    ]:
        assert (await authenticate(headers)).id == agent.id, headers
    assert await authenticate({}) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": "Bearer not-a-jwt"},
        {"authorization": "Token tg_nope_nope"},
        {"x-token": "garbage"},
        {"authorization": "Basic !!!"},
        {"authorization": "Digest abc"},
        {"authorization": "Bearer"},
        {"authorization": "Basic " + base64.b64encode(b"agent:wrong-password").decode()},
        {"authorization": "Basic " + base64.b64encode(b"u" * 151 + b":pw").decode()},
        {"authorization": "Token tg_" + "a" * 17 + "_x"},
        {"authorization": "Token tg_" + "a" * 16 + "_" + "x" * 500},
        {"x-token": "tg_0123456789abcdef_\u00e9"},
        {"authorization": "Bearer " + "x" * 5000},
    ],
)
async def test_wrong_credentials_are_refused(agent, headers):
    with pytest.raises(Unauthenticated):
        await authenticate(headers)


async def test_jwt_expiry_and_signature(agent):
    token, _ = auth.issue_jwt(agent, SECRET, 60)
    assert auth.jwt_user_id(token, SECRET) == agent.id
    with pytest.raises(Unauthenticated):
        auth.jwt_user_id(token, "another-secret-another-secret-another")
    expired, _ = auth.issue_jwt(agent, SECRET, -5)
    with pytest.raises(Unauthenticated):
        auth.jwt_user_id(expired, SECRET)


async def test_login_records_last_login(agent):
    token, _, user = await auth.login("agent", PASSWORD, SECRET, 60, limiter=RateLimiter())
    assert user.id == agent.id and token
    assert (await User.get(id=agent.id)).last_login_at is not None


async def test_system_can_create_admin_without_password():
    user = await users.create_user(SYSTEM, username="root", role="admin")
    assert user.password_hash == ""
    with pytest.raises(Unauthenticated):
        await users.authenticate_password("root", "")


async def test_make_user_helper_sets_email():
    user = await make_user("zed", "agent")
    assert user.email == "zed@example.com"
