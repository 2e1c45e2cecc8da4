"""Credentials shared by every door: API tokens, JWTs, HTTP Basic, password logins.

Accepted: `Authorization: Bearer <token or JWT>`, `Authorization: Token <token>`,
`X-Token: <token>`, `Authorization: Basic <base64 user:password>`. No credential at all
gives None (anonymous); a credential that is present but wrong raises Unauthenticated (and a
password check the throttle refuses, RateLimited). Lookups go through `resolvers/credentials.py`
(cached); every password check goes through `users.authenticate_password` with a
`LoginThrottle`.
"""

from __future__ import annotations

import base64
import binascii
import math
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import jwt
from limits import RateLimitItem, RateLimitItemPerSecond, parse
from tortoise.exceptions import IntegrityError

from models import RevokedSession, User
from observe import metrics
from resolvers import clock, credentials, events, tokens, users, writes
from resolvers.errors import Invalid, RateLimited, Unauthenticated
from resolvers.once import Once
from resolvers.ratelimit import Budget, RateLimiter

JWT_ALGORITHM = "HS256"
MAX_HEADER = 4096  # longer credentials are malformed, whatever they hold


def issue_jwt(user: User, secret: str, ttl_seconds: int) -> tuple[str, datetime]:
    """A login JWT; its `jti` names the session, so `logout` can revoke it."""
    expires_at = clock.now() + timedelta(seconds=ttl_seconds)
    claims = {"sub": str(user.id), "exp": expires_at, "iat": clock.now()}
    claims["jti"] = secrets.token_hex(16)
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), expires_at


def _claims(raw: str, secret: str) -> dict:
    try:
        claims = jwt.decode(raw, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp"]})
        int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthenticated("Invalid or expired token.") from exc
    return claims


def _verified(raw: str, secret: str) -> credentials.JwtEntry:
    """A valid, unexpired JWT signed with `secret` (verified once, then cached until it
    expires); Unauthenticated otherwise."""
    entry = credentials.jwt_entry(raw, secret)
    if entry is None:
        claims = _claims(raw, secret)
        jti = claims.get("jti")
        entry = credentials.JwtEntry(
            int(claims["sub"]), float(claims["exp"]), jti if isinstance(jti, str) else None
        )
        credentials.remember_jwt(raw, secret, entry)
    return entry


def jwt_user_id(raw: str, secret: str) -> int:
    """The subject of a valid, unexpired JWT signed with `secret`; Unauthenticated otherwise.
    Neither whether that user is active nor whether the session was signed out is checked."""
    return _verified(raw, secret).user_id


async def _jwt(raw: str, secret: str) -> int:
    """The id of the active user of a valid JWT whose session (`jti`) is not signed out; a
    session signed out in another process ends within the credential cache's lifetime."""
    entry = _verified(raw, secret)
    if entry.jti is not None and not await credentials.session_open(entry):
        raise Unauthenticated("Invalid or expired token.")
    if not await credentials.is_active(entry.user_id):
        raise Unauthenticated("Invalid or expired token.")
    return entry.user_id


async def logout(headers: Mapping[str, str], secret: str) -> User:
    """Revoke the login JWT this request carries (its session); other sessions and API tokens
    stay valid (revoke those with `tokens.revoke_token`). Returns whose session ended."""
    scheme, _, raw = headers.get("authorization", "").strip().partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw or tokens.looks_like_token(raw):
        raise Invalid("authorization", "Logging out ends a login session: send its JWT.")
    user = await _active(await _jwt(raw, secret))
    entry = _verified(raw, secret)
    if entry.jti is None:
        raise Invalid("authorization", "This token predates sessions; it ends when it expires.")
    expires_at = datetime.fromtimestamp(entry.expires_at, tz=UTC)
    try:
        async with writes.transaction():
            await RevokedSession.filter(expires_at__lt=clock.now()).delete()  # expired anyway
            await RevokedSession.create(jti=entry.jti, user_id=user.id, expires_at=expires_at)
            await events.record(events.SESSION_REVOKED, user, payload={"user_id": user.id})
    except IntegrityError:  # a concurrent logout of the same session won
        raise Unauthenticated("Invalid or expired token.") from None
    credentials.forget_jwt(raw, secret)
    return user


async def _api_token(raw: str) -> int:
    user_id = await tokens.token_user_id(raw)
    if user_id is None:
        raise Unauthenticated("Invalid token.")
    return user_id


async def _basic(raw: str, limiter: RateLimiter, client: str) -> int:
    try:
        decoded = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("Malformed Basic credentials.") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthenticated("Malformed Basic credentials.")
    return await password_user_id(username, password, limiter=limiter, client=client)


async def identify(
    headers: Mapping[str, str], secret: str, *, limiter: RateLimiter, client: str
) -> int | None:
    """The id of the active user the request's credentials name, None when it carries none.
    `limiter` and `client` (the client's address) throttle HTTP Basic's password checks. On the
    credential caches' hits this runs no SQL and builds no `User` (what a 304 needs)."""
    authorization = headers.get("authorization", "").strip()
    if authorization:
        scheme, _, raw = authorization.partition(" ")
        scheme, raw = scheme.lower(), raw.strip()
        if not raw or len(raw) > MAX_HEADER:
            raise Unauthenticated("Malformed Authorization header.")
        if scheme == "bearer":
            return await (_api_token(raw) if tokens.looks_like_token(raw) else _jwt(raw, secret))
        if scheme == "token":
            return await _api_token(raw)
        if scheme == "basic":
            return await _basic(raw, limiter, client)
        raise Unauthenticated(f"Unsupported authorization scheme {scheme!r}.")
    x_token = headers.get("x-token", "").strip()
    return await _api_token(x_token) if x_token else None


def api_key_id(headers: Mapping[str, str]) -> str | None:
    """The key id of the API token the request sends (as `identify` reads it), else None
    (a JWT, HTTP Basic, nothing). Meaningful once `identify` has accepted the credential."""
    scheme, _, raw = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() not in ("bearer", "token"):
        raw = "" if scheme else headers.get("x-token", "")
    match = tokens.TOKEN_RE.fullmatch(raw.strip())
    return match.group(1) if match else None


async def authenticate(
    headers: Mapping[str, str], secret: str, *, limiter: RateLimiter, client: str
) -> User | None:
    """The user the request's credentials name, None when it carries none (`identify`)."""
    user_id = await identify(headers, secret, limiter=limiter, client=client)
    return None if user_id is None else await _active(user_id)


async def _active(user_id: int) -> User:
    user = await credentials.active_user(user_id)
    if user is None:  # deactivated since `identify` looked, microseconds ago
        raise Unauthenticated("Invalid credentials.")
    return user


# ---------------------------------------------------------------- password checks

# Failed password checks from one client address before it is refused outright.
LOGIN_FAILURES_PER_ADDRESS = "50 per 15 minutes"
# Failed checks of one account (any address) before each further failure makes it wait.
LOGIN_FAILURES_PER_ACCOUNT = "10 per day"
ACCOUNT_DELAY_SECONDS = 15  # the first wait; it doubles with every further failure
MAX_ACCOUNT_DELAY_SECONDS = 15 * 60
KNOWN_ADDRESS = "1 per 30 days"  # how long a successful login makes its address known


class LoginThrottle:
    """Slows password guessing without letting a stranger lock the owner out.

    Per client address: once LOGIN_FAILURES_PER_ADDRESS failures are spent, every check from it
    is refused. Per account (the user id, so the username and the e-mail share one budget):
    after the free failures, each failure makes the account wait ACCOUNT_DELAY_SECONDS, doubled
    per further failure up to MAX_ACCOUNT_DELAY_SECONDS; while it waits, checks from addresses
    that never logged in to it are refused without looking at the password. An address that did
    (within KNOWN_ADDRESS) is never held by the account's wait. The counters live in the
    RateLimiter's storage, so with Redis every process shares them.
    """

    def __init__(self, limiter: RateLimiter, client: str) -> None:
        self.storage, self.client = limiter.storage, client

    async def admit(self, account: str) -> None:
        """Raise RateLimited when this check may not run now."""
        if self.client:
            item, key = _counter(LOGIN_FAILURES_PER_ADDRESS, "address", self.client)
            if await self.storage.get(key) >= item.amount:
                await self._refuse(item.amount, key)
        item, key = _counter(LOGIN_FAILURES_PER_ACCOUNT, "account", account)
        failures = await self.storage.get(key)
        if failures >= item.amount:
            _, delay_key = _delay(account, failures)
            if await self.storage.get(delay_key) and not await self._known(account):
                await self._refuse(item.amount, delay_key)

    async def failed(self, account: str) -> None:
        if self.client:
            await self._incr(*_counter(LOGIN_FAILURES_PER_ADDRESS, "address", self.client))
        item, key = _counter(LOGIN_FAILURES_PER_ACCOUNT, "account", account)
        failures = await self._incr(item, key)
        if failures >= item.amount:
            await self._incr(*_delay(account, failures))

    async def succeeded(self, account: str) -> None:
        if self.client and not await self._known(account):
            await self._incr(*_counter(KNOWN_ADDRESS, "known", account, self.client))

    async def _known(self, account: str) -> bool:
        _, key = _counter(KNOWN_ADDRESS, "known", account, self.client)
        return bool(self.client) and await self.storage.get(key) > 0

    async def _incr(self, item: RateLimitItem, key: str) -> int:
        return await self.storage.incr(key, item.get_expiry())

    async def _refuse(self, limit: int, key: str) -> None:
        reset_at = await self.storage.get_expiry(key)  # (unix time, as `limits` keeps it)
        wait = max(1, math.ceil(reset_at - time.time()))
        message = f"Too many failed login attempts; try again in {wait} s."
        metrics.rate_limited("login")
        raise RateLimited(message, wait, Budget(limit, 0, math.ceil(reset_at)))


def _counter(rate: str, *parts: str) -> tuple[RateLimitItem, str]:
    item = parse(rate)
    return item, item.key_for("login", *parts)


def _delay(account: str, failures: int) -> tuple[RateLimitItem, str]:
    """The account's wait after its `failures`-th failure (a key that lives that long)."""
    extra = failures - parse(LOGIN_FAILURES_PER_ACCOUNT).amount
    seconds = min(ACCOUNT_DELAY_SECONDS * 2 ** min(extra, 32), MAX_ACCOUNT_DELAY_SECONDS)
    item = RateLimitItemPerSecond(1, seconds)
    return item, item.key_for("login", "delay", account, str(failures))


async def password_credential(
    login: str, password: str, *, limiter: RateLimiter, client: str
) -> User:
    """A password sent with every request (the legacy helpdesk form): `password_user_id`."""
    return await _active(await password_user_id(login, password, limiter=limiter, client=client))


async def password_user_id(login: str, password: str, *, limiter: RateLimiter, client: str) -> int:
    """A password sent with every request (HTTP Basic, the legacy form): checked and throttled
    like a login, and remembered for a while (`credentials`), so repeating it costs no argon2
    verification; concurrent checks of one (client, login, password) share one verification.
    A wrong password is never remembered."""
    key = credentials.password_key(client, login, password)
    user_id = await credentials.password_user_id(key)
    if user_id is not None:
        return user_id
    return await _verifying.run(
        key, lambda: _verify_password(key, login, password, LoginThrottle(limiter, client))
    )


_verifying = Once()  # password checks in flight, by their key


async def _verify_password(key: bytes, login: str, password: str, throttle: LoginThrottle) -> int:
    since = credentials.epoch()
    user = await users.authenticate_password(login, password, throttle=throttle)
    credentials.remember_password(key, user, since)
    return user.id


async def login(
    login: str,
    password: str,
    secret: str,
    ttl_seconds: int,
    *,
    limiter: RateLimiter,
    client: str = "",
) -> tuple[str, datetime, User]:
    """Password login → (JWT, expiry, user); throttled (`LoginThrottle`)."""
    throttle = LoginThrottle(limiter, client)
    user = await users.authenticate_password(login, password, throttle=throttle, record_login=True)
    token, expires_at = issue_jwt(user, secret, ttl_seconds)
    return token, expires_at, user
