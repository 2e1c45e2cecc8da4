"""What each request's credential costs: a small in-process cache in front of the database.

Three caches, each bounded (`max_entries`) and short-lived (`ttl_seconds`, default 5 s,
`CREDENTIAL_CACHE_SECONDS`; 0 turns caching off):

- active users by id: the column values of an *active* user, immutable; every hit builds a
  fresh `User` from them, so no request sees another's instance;
- API tokens by key id: the token row's id, digest and owner (the secret is compared with the
  digest on every hit), and when its `last_used_at` was last written;
- verified passwords (HTTP Basic, the legacy form) by an HMAC, under a random per-process key,
  of client address + login + password (never the password itself): the user id and the
  password hash it was verified against. A wrong password is never cached;
- verified JWTs by the same kind of HMAC: subject and expiry (checked on every hit), so the
  signature is not verified again on every request. A miss reads the user and checks that the
  session (the JWT's `jti`) was not signed out in one query (`session_user`).

A hit runs no SQL. The domain functions that revoke a token, deactivate a user, change a role
or a password, or sign a session out call `forget_token` / `forget_user` / `forget_jwt`, so this
process sees the change at once; other processes see it within `ttl_seconds` at most (each
entry is filled from the database no longer than that ago). A fill that raced with a `forget`
is not stored (the `_epoch` check).

`last_used_at` is written at most once per `LAST_USED_EVERY` per token, by a background task
(never on the request's path); `drain()` awaits the writes in flight (server shutdown does).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from cachetools import TTLCache
from tortoise.expressions import Subquery

from models import ApiToken, RevokedSession, User
from resolvers import clock

log = logging.getLogger("ticketgate.credentials")

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000
LAST_USED_EVERY = timedelta(minutes=1)

_PROCESS_KEY = secrets.token_bytes(32)  # keys the password and JWT caches; never leaves memory
_COLUMNS = tuple(User._meta.fields_db_projection.items())  # (field, column) of every column


@dataclass
class TokenEntry:
    token_id: int
    digest: str
    user_id: int
    last_used_at: datetime | None  # as last written (or being written) by this process


class _Caches:
    def __init__(self, ttl_seconds: float, max_entries: int, timer: Callable[[], float]) -> None:
        self.settings = (ttl_seconds, max_entries, timer)
        self.users: TTLCache[int, Mapping] = TTLCache(max_entries, ttl_seconds, timer)
        self.tokens: TTLCache[str, TokenEntry] = TTLCache(max_entries, ttl_seconds, timer)
        self.passwords: TTLCache[bytes, tuple[int, str]] = TTLCache(max_entries, ttl_seconds, timer)
        self.jwts: TTLCache[bytes, tuple[int, float]] = TTLCache(max_entries, ttl_seconds, timer)


_caches = _Caches(TTL_SECONDS, MAX_ENTRIES, time.monotonic)
_epoch = 0  # bumped by every forget; a fill started before it is not stored
_writes: set[asyncio.Task] = set()


def configure(
    ttl_seconds: float = TTL_SECONDS,
    max_entries: int = MAX_ENTRIES,
    timer: Callable[[], float] = time.monotonic,
) -> None:
    """Set the caches' lifetime, size and clock (emptying them)."""
    global _caches
    _bump_epoch()
    _caches = _Caches(ttl_seconds, max_entries, timer)


def clear() -> None:
    """Forget everything (tests: ids are reused between them)."""
    configure(*_caches.settings)


def forget_user(user_id: int) -> None:
    """The user changed (deactivated, role, password, last login): drop their cached row.
    Cached passwords of theirs then stop matching the row read afresh when the hash changed."""
    _bump_epoch()
    _caches.users.pop(user_id, None)


def forget_token(key_id: str) -> None:
    _bump_epoch()
    _caches.tokens.pop(key_id, None)


def _bump_epoch() -> None:
    global _epoch
    _epoch += 1


# ---------------------------------------------------------------- users


def _fresh(values: Mapping) -> User:
    return User._init_from_db(**values)


def _remember_user(user: User, epoch: int) -> None:
    if user.is_active and epoch == _epoch:
        _caches.users[user.id] = MappingProxyType({c: getattr(user, f) for f, c in _COLUMNS})


async def active_user(user_id: int) -> User | None:
    """The active user with this id (cached), else None."""
    if (values := _caches.users.get(user_id)) is not None:
        return _fresh(values)
    epoch = _epoch
    user = await User.get_or_none(id=user_id, is_active=True)
    if user is not None:
        _remember_user(user, epoch)
    return user


async def session_user(user_id: int, jti: str) -> User | None:
    """The active user of a login session not revoked (`auth.logout`), in one query; the user
    is remembered like `active_user`'s."""
    epoch = _epoch
    revoked = Subquery(RevokedSession.filter(jti=jti).values("user_id"))
    user = await User.filter(id=user_id, is_active=True).exclude(id__in=revoked).first()
    if user is not None:
        _remember_user(user, epoch)
    return user


# ---------------------------------------------------------------- API tokens


async def token_owner(key_id: str, digest: str) -> User | None:
    """The active owner of the token `key_id` whose secret hashes to `digest`, else None."""
    entry = _caches.tokens.get(key_id)
    if entry is None:
        epoch = _epoch
        token = await ApiToken.get_or_none(key_id=key_id).select_related("user")
        if token is None:
            return None
        entry = TokenEntry(token.id, token.digest, token.user_id, token.last_used_at)
        if epoch == _epoch:
            _caches.tokens[key_id] = entry
        _remember_user(token.user, epoch)
    if not hmac.compare_digest(entry.digest, digest):
        return None
    user = await active_user(entry.user_id)
    if user is not None:
        _note_use(entry)
    return user


def _note_use(entry: TokenEntry) -> None:
    now = clock.now()
    if entry.last_used_at is not None and now - entry.last_used_at < LAST_USED_EVERY:
        return
    entry.last_used_at = now
    task = asyncio.get_running_loop().create_task(_write_last_used(entry.token_id, now))
    _writes.add(task)
    task.add_done_callback(_writes.discard)


async def _write_last_used(token_id: int, when: datetime) -> None:
    try:
        await ApiToken.filter(id=token_id).update(last_used_at=when)
    except Exception:  # a lost timestamp must not surface anywhere else
        log.exception("could not record when API token %s was last used", token_id)


async def drain() -> None:
    """Wait for the `last_used_at` writes in flight."""
    while _writes:
        await asyncio.gather(*_writes, return_exceptions=True)


# ---------------------------------------------------------------- JWTs


def jwt_subject(raw: str, secret: str) -> int | None:
    """The user id of a JWT this process verified lately (with this secret) and that has not
    expired since."""
    found = _caches.jwts.get(_keyed(secret, raw))
    return found[0] if found is not None and found[1] > time.time() else None


def forget_jwt(raw: str, secret: str) -> None:
    """A JWT was revoked (logout): verify it afresh next time."""
    _bump_epoch()
    _caches.jwts.pop(_keyed(secret, raw), None)


def remember_jwt(raw: str, secret: str, user_id: int, expires_at: float, since_epoch: int) -> None:
    """A verified JWT's subject and expiry (unix time, as PyJWT checks it), unless something
    was forgotten since the check began (a logout racing with it)."""
    if since_epoch == _epoch:
        _caches.jwts[_keyed(secret, raw)] = (user_id, expires_at)


# ---------------------------------------------------------------- verified passwords


def _keyed(*parts: str) -> bytes:
    message = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(_PROCESS_KEY, message, hashlib.sha256).digest()


def password_key(client: str, login: str, password: str) -> bytes:
    return _keyed(client, login, password)


def epoch() -> int:
    """Take before a verification whose result `remember_password` may store."""
    return _epoch


async def password_user(key: bytes) -> User | None:
    """The user a cached verification names, if its password is still the one verified."""
    found = _caches.passwords.get(key)
    if found is None:
        return None
    user = await active_user(found[0])
    return user if user is not None and user.password_hash == found[1] else None


def remember_password(key: bytes, user: User, since_epoch: int) -> None:
    if since_epoch == _epoch:
        _caches.passwords[key] = (user.id, user.password_hash)
        _remember_user(user, since_epoch)
