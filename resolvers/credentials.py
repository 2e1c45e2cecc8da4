"""What each request's credential costs: a small in-process cache in front of the database.

Four caches, each bounded (`max_entries`). Users and tokens are short-lived (`ttl_seconds`,
default 5 s, `CREDENTIAL_CACHE_SECONDS`; 0 turns caching off): they bound how stale a
revocation or deactivation made by another process can be. Verified passwords and JWTs live
`VERIFIED_TTL_SECONDS` (at most): every hit checks them against the user's cached row (active,
same password hash) and a JWT's expiry, so they add no staleness of their own, and a client
that keeps sending one Basic password pays one argon2 verification per quarter hour, not one
per `ttl_seconds`:

- active users by id: the instance state of an *active* user, immutable; every hit builds a
  fresh `User` from it, so no request sees another's instance;
- API tokens by key id: the token row's id, digest and owner (the secret is compared with the
  digest on every hit), and when its `last_used_at` was last written;
- verified passwords (HTTP Basic, the legacy form) by an HMAC, under a random per-process key,
  of client address + login + password (never the password itself): the user id and the
  password hash it was verified against. A wrong password is never cached;
- verified JWTs by the same kind of HMAC: subject, expiry (checked on every hit) and session
  (`jti`), so the signature is not verified again on every request. Whether the session was
  signed out (`auth.logout`) is checked again once `ttl_seconds` have passed since the last
  check (`session_open`: one query, which also reads the user's row when it is not cached).

A hit runs no SQL and builds no `User`: the checks answer a user id (`*_id` functions), and
`active_user` builds the one instance a request needs. The domain functions that revoke a
token, deactivate a user, change a role or a password, or sign a session out call
`forget_token` / `forget_user` / `forget_jwt`, so this process sees the change at once; other
processes see it within `ttl_seconds` at most (each user and token entry, and each session
check, is no older than that). A fill that raced with a `forget` is not stored (the `_epoch`
check).

`last_used_at` is noted at most once per `LAST_USED_EVERY` per token and written by a background
task, for every token used in that time at once (never on the request's path): each write
changes the store's data version and so every ETag, and per-token writes would make a store
with many polling clients answer almost no 304. `drain()` writes what is pending (server
shutdown does); a process killed without one loses at most its last minute of them.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Generic, TypeVar

from tortoise.models import Model

from models import ApiToken, User
from resolvers import clock, reads, writes
from resolvers.once import Once

log = logging.getLogger("ticketgate.credentials")

TTL_SECONDS = 5.0
VERIFIED_TTL_SECONDS = 15 * 60.0
MAX_ENTRIES = 10_000
LAST_USED_EVERY = timedelta(minutes=1)

K, V = TypeVar("K"), TypeVar("V")
M = TypeVar("M", bound=Model)
_PROCESS_KEY = secrets.token_bytes(32)  # keys the password and JWT caches; never leaves memory
_STATE = {*User._meta.fields_db_projection, "_partial", "_saved_in_db", "_custom_generated_pk"}


@dataclass
class TokenEntry:
    token_id: int
    digest: str
    user_id: int
    last_used_at: datetime | None  # as last written (or being written) by this process


class _TtlCache(Generic[K, V]):
    """Each value for `ttl` seconds after it was stored, at most `max_entries` of them (the
    oldest go first). A dict of (expiry, value): a hit is one lookup and one clock reading
    (cachetools' TTLCache cost a tenth of a small request in its bookkeeping)."""

    def __init__(self, max_entries: int, ttl: float, timer: Callable[[], float]) -> None:
        self.max_entries, self.ttl, self.timer = max_entries, ttl, timer
        self.entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        found = self.entries.get(key)
        if found is None:
            return None
        if self.timer() < found[0]:
            return found[1]
        del self.entries[key]
        return None

    def __setitem__(self, key: K, value: V) -> None:
        if self.ttl <= 0 or self.max_entries <= 0:
            return
        self.entries.pop(key, None)  # (re-inserted last: the dict stays in expiry order)
        while len(self.entries) >= self.max_entries:
            del self.entries[next(iter(self.entries))]
        self.entries[key] = (self.timer() + self.ttl, value)

    def pop(self, key: K, default: V | None = None) -> V | None:
        found = self.entries.pop(key, None)
        return default if found is None else found[1]

    def __contains__(self, key: K) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[K]:
        return iter(self.entries)


class _Caches:
    def __init__(self, ttl_seconds: float, max_entries: int, timer: Callable[[], float]) -> None:
        self.settings = (ttl_seconds, max_entries, timer)
        self.users: _TtlCache[int, Mapping] = _TtlCache(max_entries, ttl_seconds, timer)
        self.tokens: _TtlCache[str, TokenEntry] = _TtlCache(max_entries, ttl_seconds, timer)
        verified_ttl = min(VERIFIED_TTL_SECONDS, 180 * ttl_seconds)  # (0 stays 0)
        self.passwords: _TtlCache[bytes, tuple[int, str]] = _TtlCache(
            max_entries, verified_ttl, timer
        )
        self.jwts: _TtlCache[bytes, JwtEntry] = _TtlCache(max_entries, verified_ttl, timer)


_caches = _Caches(TTL_SECONDS, MAX_ENTRIES, time.monotonic)
_epoch = 0  # bumped by every forget; a fill started before it is not stored
_pending: dict[int, datetime] = {}  # token id → when it was last used, not yet written
_flusher: asyncio.Task | None = None  # writes `_pending` a minute after its first entry


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


def _row(user: User) -> Mapping:
    """A loaded user's instance state (its field values, all immutable, and Tortoise's flags):
    what `_fresh` copies into a new instance."""
    return MappingProxyType({k: v for k, v in vars(user).items() if k in _STATE})


def _fresh(state: Mapping) -> User:
    """A new instance with `state`, as `User._init_from_db` would build it from the row, but
    without converting the values again (a tenth of the cost)."""
    user = User.__new__(User)
    vars(user).update(state)
    object.__setattr__(user, "_await_when_save", {})
    return user


def _remember_user(user: User, epoch: int) -> None:
    if user.is_active and epoch == _epoch:
        _caches.users[user.id] = _row(user)


async def _active_row(user_id: int) -> Mapping | None:
    """The column values of the active user with this id (cached), else None."""
    if (values := _caches.users.get(user_id)) is not None:
        return values
    return await _loading.run(("user", user_id), lambda: _load_user(user_id))


async def _load_user(user_id: int) -> Mapping | None:
    epoch = _epoch
    user = await reads.run(_active_user_read(user_id))
    if user is None:
        return None
    _remember_user(user, epoch)
    return _row(user)


# A miss reads on the lean path (resolvers/reads.py: on the event loop, no thread hop): through
# Tortoise, a lookup waited for aiosqlite's thread, which under load gets the GIL once per switch
# interval, so the requests that missed together when an entry expired waited up to seconds.
@functools.cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    """The model's columns (known once Tortoise is set up: foreign keys are added then)."""
    return tuple(model._meta.fields_db_projection.values())


def _select_user() -> str:
    return reads.columns(User, _columns(User), "u")


def _built(model: type[M], row: Sequence) -> M:
    """An instance from its columns' values, as Tortoise builds one from a query."""
    return model._init_from_db(**dict(zip(_columns(model), row, strict=True)))


def _active_user_read(user_id: int) -> reads.Read[User | None]:
    rows = yield (
        f"SELECT {_select_user()} FROM users u WHERE u.id = ? AND u.is_active = ?",
        [user_id, True],
    )
    return _built(User, rows[0]) if rows else None


def _token_read(key_id: str) -> reads.Read[tuple[ApiToken, User] | None]:
    """The token with this key id and its owner (active or not)."""
    token_columns = reads.columns(ApiToken, _columns(ApiToken), "t")
    rows = yield (
        f"SELECT {token_columns}, {_select_user()} FROM api_tokens t"
        " JOIN users u ON u.id = t.user_id WHERE t.key_id = ?",
        [key_id],
    )
    if not rows:
        return None
    row, width = tuple(rows[0]), len(_columns(ApiToken))
    return _built(ApiToken, row[:width]), _built(User, row[width:])


_loading = Once()  # misses that come together share one lookup


async def is_active(user_id: int) -> bool:
    return await _active_row(user_id) is not None


async def active_user(user_id: int) -> User | None:
    """The active user with this id (cached), else None: a fresh instance on every call, so no
    request sees another's."""
    state = await _active_row(user_id)
    return None if state is None else _fresh(state)


# ---------------------------------------------------------------- API tokens


async def token_owner_id(key_id: str, digest: str) -> int | None:
    """The id of the active owner of the token `key_id` whose secret hashes to `digest`."""
    entry = _caches.tokens.get(key_id)
    if entry is None:
        entry = await _loading.run(("token", key_id), lambda: _load_token(key_id))
        if entry is None:
            return None
    if not hmac.compare_digest(entry.digest, digest):
        return None
    if await _active_row(entry.user_id) is None:
        return None
    _note_use(entry)
    return entry.user_id


async def _load_token(key_id: str) -> TokenEntry | None:
    epoch = _epoch
    found = await reads.run(_token_read(key_id))
    if found is None:
        return None
    token, user = found
    entry = TokenEntry(token.id, token.digest, token.user_id, token.last_used_at)
    if epoch == _epoch:
        _caches.tokens[key_id] = entry
    _remember_user(user, epoch)
    return entry


def _note_use(entry: TokenEntry) -> None:
    global _flusher
    now = clock.now()
    if entry.last_used_at is not None and now - entry.last_used_at < LAST_USED_EVERY:
        return
    entry.last_used_at = now
    _pending[entry.token_id] = now
    if _flusher is None:
        _flusher = asyncio.get_running_loop().create_task(_flush_after(LAST_USED_EVERY))


async def _flush_after(delay: timedelta) -> None:
    global _flusher
    try:
        await asyncio.sleep(delay.total_seconds())
    finally:
        _flusher = None
    await _flush()


async def _flush() -> None:
    """Write every pending `last_used_at` in one transaction: one change of the store's data
    version (rest/conditional.py) per minute per process, however many tokens are in use."""
    batch = dict(_pending)
    _pending.clear()
    if not batch:
        return
    try:
        async with writes.transaction():
            for token_id, when in batch.items():
                await ApiToken.filter(id=token_id).update(last_used_at=when)
    except Exception:  # a lost timestamp must not surface anywhere else
        log.exception("could not record when %d API tokens were last used", len(batch))


async def drain() -> None:
    """Write the pending `last_used_at` now (shutdown; tests before they count statements)."""
    global _flusher
    if _flusher is not None:
        _flusher.cancel()
        _flusher = None
    await _flush()


# ---------------------------------------------------------------- JWTs


@dataclass
class JwtEntry:
    user_id: int
    expires_at: float  # unix time, as PyJWT checks it
    jti: str | None  # its session (None: issued before sessions)
    checked: float | None = None  # (timer) when the session was last found open


def jwt_entry(raw: str, secret: str) -> JwtEntry | None:
    """A JWT this process verified lately (with this secret) and that has not expired since."""
    found = _caches.jwts.get(_keyed(secret, raw))
    return found if found is not None and found.expires_at > time.time() else None


def remember_jwt(raw: str, secret: str, entry: JwtEntry) -> None:
    _caches.jwts[_keyed(secret, raw)] = entry


def forget_jwt(raw: str, secret: str) -> None:
    """A JWT was revoked (logout): verify it afresh next time."""
    _bump_epoch()
    _caches.jwts.pop(_keyed(secret, raw), None)


async def session_open(entry: JwtEntry) -> bool:
    """Whether the JWT's session was not signed out: known for `ttl_seconds` after a check,
    then checked again in one query (with the user's row when it is not cached: the active
    user of an open session)."""
    ttl, _, timer = _caches.settings
    now = timer()
    if entry.checked is not None and now - entry.checked < ttl:
        return True
    return await _loading.run(("session", entry.jti), lambda: _check_session(entry, now))


async def _check_session(entry: JwtEntry, now: float) -> bool:
    epoch = _epoch
    cached = entry.user_id in _caches.users
    is_open, user = await reads.run(_session_read(entry, cached=cached))
    if user is not None:
        _remember_user(user, epoch)
    if is_open and epoch == _epoch:
        entry.checked = now
    return is_open


def _session_read(entry: JwtEntry, *, cached: bool) -> reads.Read[tuple[bool, User | None]]:
    """Whether the session is open, with the owner's row when it is not cached (the active
    user of an open session: an inactive one is refused all the same)."""
    if cached:
        rows = yield ("SELECT 1 FROM revoked_sessions WHERE jti = ?", [entry.jti])
        return not rows, None
    rows = yield (
        f"SELECT {_select_user()} FROM users u WHERE u.id = ? AND u.is_active = ?"
        " AND u.id NOT IN (SELECT user_id FROM revoked_sessions WHERE jti = ?)",
        [entry.user_id, True, entry.jti],
    )
    return (True, _built(User, rows[0])) if rows else (False, None)


# ---------------------------------------------------------------- verified passwords


def _keyed(*parts: str) -> bytes:
    message = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(_PROCESS_KEY, message, hashlib.sha256).digest()


def password_key(client: str, login: str, password: str) -> bytes:
    return _keyed(client, login, password)


def epoch() -> int:
    """Take before a verification whose result `remember_password` may store."""
    return _epoch


async def password_user_id(key: bytes) -> int | None:
    """The user a cached verification names, if its password is still the one verified."""
    found = _caches.passwords.get(key)
    if found is None:
        return None
    values = await _active_row(found[0])
    return found[0] if values is not None and values["password_hash"] == found[1] else None


def remember_password(key: bytes, user: User, since_epoch: int) -> None:
    if since_epoch == _epoch:
        _caches.passwords[key] = (user.id, user.password_hash)
        _remember_user(user, since_epoch)
