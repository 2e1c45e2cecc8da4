"""Users: create, read, list, change, authenticate by password."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models import Role, User
from observe import metrics
from resolvers import (
    clock,
    credentials,
    django_hashes,
    events,
    limits,
    passwords,
    validation,
    writes,
)
from resolvers.errors import Collector, Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from resolvers.pagination import Keyset, Page, Slice, Window, paginate, paginate_by_id
from resolvers.permissions import Actor, require_admin, require_staff, require_user

if TYPE_CHECKING:
    from resolvers.auth import LoginThrottle

USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
MAX_EMAIL = 254
MAX_PASSWORD = limits.PASSWORD

# argon2 runs in threads (argon2-cffi releases the GIL), at most HASH_CONCURRENCY at a time, so
# it never stalls the event loop and a flood of password checks queues instead of eating every
# core; on Linux those threads (and argon2's lane threads, which inherit it) run at the lowest
# CPU priority, so a hash never takes a core from the event loop (docs/reliability.md).
HASH_CONCURRENCY = 2
_hash_slots = asyncio.Semaphore(HASH_CONCURRENCY)


def _lowest_priority() -> None:
    if sys.platform == "linux":  # the nice value is per thread there; elsewhere per process
        os.setpriority(os.PRIO_PROCESS, 0, 19)


_hash_threads = ThreadPoolExecutor(
    HASH_CONCURRENCY, thread_name_prefix="argon2", initializer=_lowest_priority
)
_hasher = PasswordHasher()
_dummy_hash: str | None = None  # verified when the login names nobody, so timing tells nothing

NAME = validation.max_length(User, "name")


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Other argon2 parameters: tests use `argon2.profiles.CHEAPEST`; servers keep the default
    (RFC 9106 low-memory). Existing hashes with other parameters are rehashed at login."""
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = hasher, None


def hash_password(password: str) -> str:
    """The argon2 hash (blocking: the domain calls it through `_hash_off_loop`)."""
    return _hasher.hash(password)


async def _off_loop(function, *args):
    """`function(*args)` in a hashing thread (the caller holds one of the `_hash_slots`)."""
    return await asyncio.get_running_loop().run_in_executor(_hash_threads, function, *args)


async def _hash_off_loop(password: str) -> str:
    async with _hash_slots:
        return await _off_loop(hash_password, password)


def _verify(stored: str | None, password: str) -> bool:
    """argon2, or a Django hash brought by `import-helpdesk` (resolvers/django_hashes.py)."""
    global _dummy_hash
    if stored is None:
        _dummy_hash = _dummy_hash or _hasher.hash("timing-equaliser")
    elif django_hashes.scheme(stored):
        return django_hashes.verify(stored, password)
    try:
        return _hasher.verify(stored or _dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _needs_rehash(stored: str) -> bool:
    """Other argon2 parameters, or an imported Django hash: replaced at a successful login."""
    return bool(django_hashes.scheme(stored)) or _hasher.check_needs_rehash(stored)


def check_password_strength(password: object, user: dict[str, str]) -> str:
    """`password` unless the password rule (`resolvers.passwords`) refuses it: Invalid listing
    every problem. `user`: the account's username, name and email."""
    if not isinstance(password, str):
        raise Invalid("password", "password must be a string.")
    labels = (("username", "username"), ("name", "name"), ("email", "email address"))
    attributes = tuple((label, user.get(key) or "") for key, label in labels)
    found = passwords.problems(password, attributes)
    if found:
        raise Invalid.many([("password", message) for message in found])
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
    found = Collector()  # every invalid field at once
    with found.check():
        username = validation.text("username", username, max_length=150)
        if not USERNAME_RE.match(username):
            raise Invalid("username", "Usernames may contain letters, digits and @/./+/-/_ only.")
    with found.check():
        email = validation.email("email", email, required=False)
    with found.check():
        name = validation.text("name", name, max_length=NAME, required=False)
    with found.check():
        if slack_id:
            validation.no_nul("slack_id", slack_id)
    with found.check():
        try:
            role = Role(role)
        except ValueError:
            raise Invalid("role", "role must be one of: admin, agent, customer.") from None
    with found.check():
        if password is not None:
            check_password_strength(password, {"username": username, "name": name, "email": email})
    found.raise_any()
    password_hash = "" if password is None else await _hash_off_loop(password)
    if await User.filter(username=username).exists():
        raise Conflict(f"A user named {username!r} already exists.")
    if email and await User.filter(email=email).exists():
        raise Conflict(f"A user with e-mail {email!r} already exists.")
    if slack_id and await User.filter(slack_id=slack_id).exists():
        raise Conflict(f"A user with Slack id {slack_id!r} already exists.")
    try:
        async with writes.transaction():
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


def _matching_users(actor: Actor | None, filt: UserFilter):
    actor = require_user(actor)
    users = User.all() if actor.is_staff else User.filter(id=actor.id)
    if filt.role is not None:
        users = users.filter(role=filt.role)
    if filt.is_active is not None:
        users = users.filter(is_active=filt.is_active)
    if filt.search:
        term = validation.text(
            "search", filt.search, max_length=validation.MAX_SEARCH, required=False
        ).strip()
        users = users.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(username__icontains=term)
        )
    return users


async def list_users(actor: Actor | None, filt: UserFilter, win: Window) -> Page[User]:
    return await paginate(_matching_users(actor, filt).order_by("id"), win)


async def users_page(actor: Actor | None, filt: UserFilter, keys: Keyset) -> Slice[User]:
    """A keyset page of users by id (staff see everyone, others themselves)."""
    return await paginate_by_id(_matching_users(actor, filt), keys)


async def update_user(
    actor: Actor | None,
    user_id: int,
    *,
    role: Role | str | None = None,
    is_active: bool | None = None,
) -> User:
    """Admins change a user's role or deactivate (reactivate) them; effective at once (in other
    server processes within the credential cache's lifetime). The last active administrator
    can be neither demoted nor deactivated."""
    require_admin(actor)
    if role is not None:
        try:
            role = Role(role)
        except ValueError:
            raise Invalid("role", "role must be one of: admin, agent, customer.") from None
    async with writes.transaction():
        user = await User.select_for_update().get_or_none(id=user_id)
        if user is None:
            raise NotFound(f"User {user_id} not found.")
        changes = {
            name: value
            for name, value in (("role", role), ("is_active", is_active))
            if value is not None and getattr(user, name) != value
        }
        if changes and user.role == Role.ADMIN and user.is_active:
            await _keep_an_admin(user, changes)
        if changes:
            user.update_from_dict(changes)
            await user.save(update_fields=list(changes))
            await events.record(
                events.USER_UPDATED,
                actor,
                payload={"user_id": user.id, "username": user.username, "changes": changes},
            )
    credentials.forget_user(user.id)
    return user


async def _keep_an_admin(admin: User, changes: dict) -> None:
    if changes.get("role", Role.ADMIN) != Role.ADMIN or changes.get("is_active") is False:
        others = User.filter(role=Role.ADMIN, is_active=True).exclude(id=admin.id)
        if not await others.exists():
            raise Conflict("The last active administrator cannot be demoted or deactivated.")


async def set_password(actor: Actor | None, user_id: int, password: str) -> None:
    """A new password for yourself, or for anyone as an admin; the old one stops working at
    once (in other server processes within the credential cache's lifetime)."""
    actor = require_user(actor)
    if actor.id != user_id and actor.role != Role.ADMIN:
        raise Forbidden("Only administrators may set other users' passwords.")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    password_hash = await _hash_off_loop(
        check_password_strength(
            password, {"username": user.username, "name": user.name, "email": user.email}
        )
    )
    async with writes.transaction():
        await User.filter(id=user.id).update(password_hash=password_hash)
        payload = {"user_id": user.id, "username": user.username}
        await events.record(events.USER_PASSWORD_SET, actor, payload=payload)
    credentials.forget_user(user.id)


async def _user_for_login(login: str) -> User | None:
    """The user with this username or (case-insensitive) e-mail; None for any other shape
    (over-long, NUL: no stored login has one, and the database could not compare it)."""
    if len(login) > MAX_EMAIL or "\x00" in login:
        return None
    candidates = []
    if USERNAME_RE.match(login):
        candidates.append(Q(username=login))
    if "@" in login:
        candidates.append(Q(email=login.lower()))
    if not candidates:
        return None
    return await User.filter(Q(*candidates, join_type="OR")).first()


def _account(login: str, user: User | None) -> str:
    """The throttle's key for an account: its id, so the username and the e-mail share one
    budget; an unknown login gets its own key, which looks like any other."""
    if user is not None:
        return f"user:{user.id}"
    return "login:" + hashlib.sha256(login.lower().encode(errors="replace")).hexdigest()[:32]


async def authenticate_password(
    login: str,
    password: str,
    *,
    throttle: LoginThrottle | None = None,
    record_login: bool = False,
) -> User:
    """The active user with this username or e-mail and password, else Unauthenticated.

    The one password check every door goes through (via `resolvers/auth.py`, which passes the
    `throttle`: it may refuse with RateLimited before the password is looked at). The throttle's
    check, the argon2 verification (in a thread) and the recording of the outcome happen while
    holding one of the HASH_CONCURRENCY slots, so a burst of parallel guesses cannot all pass
    a check made before any of them failed. An unknown login still costs one verification.
    """
    login = (login or "").strip() if isinstance(login, str) else ""
    password = password if isinstance(password, str) else ""
    user = await _user_for_login(login)
    account = _account(login, user)
    async with _hash_slots:
        if throttle is not None:
            await throttle.admit(account)
        stored = user.password_hash if user and user.password_hash else None
        verified = len(password) <= MAX_PASSWORD and await _off_loop(_verify, stored, password)
        ok = verified and stored is not None and user.is_active
        if throttle is not None:
            await (throttle.succeeded if ok else throttle.failed)(account)
        if ok and _needs_rehash(user.password_hash):
            user.password_hash = await _off_loop(hash_password, password)
            await user.save(update_fields=["password_hash"])
            credentials.forget_user(user.id)
    if not ok:
        metrics.LOGIN_FAILURES.inc()
        raise Unauthenticated("Invalid credentials.")
    if record_login:
        user.last_login_at = clock.now()
        await user.save(update_fields=["last_login_at"])
        credentials.forget_user(user.id)
    return user
