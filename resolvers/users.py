"""Users: create, read, list, authenticate by password."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models import Role, User
from resolvers import clock, events, validation
from resolvers.errors import Conflict, Invalid, NotFound, Unauthenticated
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import Actor, require_admin, require_staff, require_user

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")
USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: object, username: str = "") -> str:
    if not isinstance(password, str):
        raise Invalid("password", "password must be a string.")
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            "password",
            f"This password is too short. It must contain at least {MIN_PASSWORD} characters.",
        )
    if len(password) > 1024:
        raise Invalid("password", "This password is too long.")
    if password.isdigit():
        raise Invalid("password", "This password is entirely numeric.")
    if username and password.lower() == username.lower():
        raise Invalid("password", "The password is too similar to the username.")
    return password


async def create_user(
    actor: Actor | None,
    *,
    username: str,
    email: str = "",
    name: str = "",
    role: Role | str = Role.CUSTOMER,
    password: str | None = None,
    slack_id: str | None = None,
    is_premium: bool = False,
) -> User:
    """Admins (and the system) create users; the password is stored as an argon2 hash."""
    require_admin(actor)
    username = validation.text("username", username, max_length=150)
    if not USERNAME_RE.match(username):
        raise Invalid("username", "Usernames may contain letters, digits and @/./+/-/_ only.")
    email = validation.email("email", email, required=False)
    name = validation.text("name", name, max_length=200, required=False)
    if slack_id:
        validation.no_nul("slack_id", slack_id)
    try:
        role = Role(role)
    except ValueError:
        raise Invalid("role", "role must be one of: admin, agent, customer.") from None
    password_hash = ""
    if password is not None:
        password_hash = hash_password(check_password_strength(password, username))
    if await User.filter(username=username).exists():
        raise Conflict(f"A user named {username!r} already exists.")
    if email and await User.filter(email=email).exists():
        raise Conflict(f"A user with e-mail {email!r} already exists.")
    if slack_id and await User.filter(slack_id=slack_id).exists():
        raise Conflict(f"A user with Slack id {slack_id!r} already exists.")
    try:
        async with in_transaction():
            user = await _insert_user(
                actor,
                username=username,
                email=email,
                name=name,
                role=role,
                password_hash=password_hash,
                slack_id=slack_id or None,
                is_premium=is_premium,
            )
    except IntegrityError:
        raise Conflict("A user with this username or Slack id already exists.") from None
    return user


async def _insert_user(actor: Actor, **values) -> User:
    user = await User.create(created_at=clock.now(), **values)
    await events.record(
        events.USER_CREATED,
        actor,
        payload={"user_id": user.id, "username": user.username, "role": user.role.value},
    )
    return user


async def user_by_username(actor: Actor | None, username: str) -> User:
    """Staff look a user up by exact (case-sensitive) username."""
    require_staff(actor)
    valid = USERNAME_RE.match(username or "")  # (no other name was stored, nor can be compared)
    user = await User.get_or_none(username=username) if valid else None
    if user is None:
        raise NotFound(f"User {username[:150]!r} not found.")
    return user


async def users_by_ids(user_ids: list[int]) -> dict[int, User]:
    """Users by id in one query, for rendering people named on visible tickets and comments."""
    return {user.id: user for user in await User.filter(id__in=user_ids)}


async def get_user(actor: Actor | None, user_id: int) -> User:
    """Staff read anyone; customers read only themselves."""
    actor = require_user(actor)
    if not actor.is_staff and actor.id != user_id:
        raise NotFound(f"User {user_id} not found.")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user


@dataclass(frozen=True)
class UserFilter:
    role: Role | None = None
    is_active: bool | None = None
    search: str | None = None


async def list_users(actor: Actor | None, filt: UserFilter, win: Window) -> Page[User]:
    actor = require_user(actor)
    users = User.all() if actor.is_staff else User.filter(id=actor.id)
    if filt.role is not None:
        users = users.filter(role=filt.role)
    if filt.is_active is not None:
        users = users.filter(is_active=filt.is_active)
    if filt.search:
        term = validation.no_nul("search", filt.search.strip())
        users = users.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(username__icontains=term)
        )
    return await paginate(users.order_by("id"), win)


async def authenticate_password(login: str, password: str, *, record_login: bool = False) -> User:
    """The active user with this username or e-mail and password, else Unauthenticated.

    An unknown login still costs one hash verification, so timing does not reveal users.
    """
    login = (login or "").strip()
    user = None
    if login and "\x00" not in login:  # (no stored login has one; PostgreSQL cannot compare it)
        user = await User.filter(Q(username=login) | Q(email=login.lower())).first()
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.password_hash or not user.is_active:
        raise Unauthenticated("Invalid credentials.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
    if record_login:
        user.last_login_at = clock.now()
        await user.save(update_fields=["last_login_at"])
    return user
