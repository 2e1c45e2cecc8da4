"""Credentials shared by every door: API tokens, JWTs, HTTP Basic.

Accepted: `Authorization: Bearer <token or JWT>`, `Authorization: Token <token>`,
`X-Token: <token>`, `Authorization: Basic <base64 user:password>`. No credential at all
gives None (anonymous); a credential that is present but wrong raises Unauthenticated.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta

import jwt
from limits import parse

from models import User
from resolvers import clock, tokens
from resolvers.errors import RateLimited, Unauthenticated
from resolvers.ratelimit import Budget, RateLimiter
from resolvers.users import authenticate_password

JWT_ALGORITHM = "HS256"


def issue_jwt(user: User, secret: str, ttl_seconds: int) -> tuple[str, datetime]:
    expires_at = clock.now() + timedelta(seconds=ttl_seconds)
    claims = {"sub": str(user.id), "exp": expires_at, "iat": clock.now()}
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), expires_at


async def user_for_jwt(raw: str, secret: str) -> User:
    try:
        claims = jwt.decode(raw, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp"]})
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthenticated("Invalid or expired token.") from exc
    user = await User.get_or_none(id=user_id, is_active=True)
    if user is None:
        raise Unauthenticated("Invalid or expired token.")
    return user


async def _api_token(raw: str) -> User:
    user = await tokens.user_for_token(raw)
    if user is None:
        raise Unauthenticated("Invalid token.")
    return user


async def _basic(raw: str) -> User:
    try:
        decoded = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("Malformed Basic credentials.") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthenticated("Malformed Basic credentials.")
    return await authenticate_password(username, password)


async def authenticate(headers: Mapping[str, str], secret: str) -> User | None:
    """The user the request's credentials name, None when it carries none."""
    authorization = headers.get("authorization", "").strip()
    if authorization:
        scheme, _, raw = authorization.partition(" ")
        scheme, raw = scheme.lower(), raw.strip()
        if not raw:
            raise Unauthenticated("Malformed Authorization header.")
        if scheme == "bearer":
            return await (
                _api_token(raw) if tokens.looks_like_token(raw) else user_for_jwt(raw, secret)
            )
        if scheme == "token":
            return await _api_token(raw)
        if scheme == "basic":
            return await _basic(raw)
        raise Unauthenticated(f"Unsupported authorization scheme {scheme!r}.")
    x_token = headers.get("x-token", "").strip()
    return await _api_token(x_token) if x_token else None


# Failed logins allowed per account and per client address before login answers RateLimited.
LOGIN_FAILURES_PER_ACCOUNT = "10 per 15 minutes"
LOGIN_FAILURES_PER_ADDRESS = "50 per 15 minutes"


def _failure_budgets(login: str, client: str) -> list[tuple[str, tuple[str, ...]]]:
    budgets = [(LOGIN_FAILURES_PER_ACCOUNT, ("login-failures", "account", login.strip().lower()))]
    if client:
        budgets.append((LOGIN_FAILURES_PER_ADDRESS, ("login-failures", "address", client)))
    return budgets


async def _refuse_when_spent(limiter: RateLimiter, rate: str, key: tuple[str, ...]) -> None:
    item = parse(rate)
    if not await limiter.strategy.test(item, *key):
        stats = await limiter.strategy.get_window_stats(item, *key)
        budget = Budget(item.amount, 0, int(stats.reset_time))
        message = "Too many failed login attempts; try again later."
        raise RateLimited(message, budget.retry_after(), budget)


async def login(
    login: str,
    password: str,
    secret: str,
    ttl_seconds: int,
    *,
    limiter: RateLimiter | None = None,
    client: str = "",
) -> tuple[str, datetime, User]:
    """Password login → (JWT, expiry, user).

    With a `limiter`, failures are counted per account and per client address; once either
    budget is spent every attempt (even a correct one) is refused with RateLimited until the
    window ends, without checking the password.
    """
    budgets = _failure_budgets(login, client) if limiter else []
    for rate, key in budgets:
        await _refuse_when_spent(limiter, rate, key)
    try:
        user = await authenticate_password(login, password, record_login=True)
    except Unauthenticated:
        for rate, key in budgets:
            await limiter.strategy.hit(parse(rate), *key)
        raise
    token, expires_at = issue_jwt(user, secret, ttl_seconds)
    return token, expires_at, user
