"""Per-credential rate limits: every request under the mount spends one from its caller's
budget (per user when signed in, else per address) and every answer carries `X-RateLimit-*`
headers; a spent budget answers 429 with `Retry-After`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.errors import RateLimited, Unauthenticated
from resolvers.permissions import Actor
from resolvers.ratelimit import Budget
from rest.platform_v1.errors import STYLE
from web import caller, client_address


async def _spend(request: Request, user: Actor | None) -> Budget:
    settings = request.app.state.settings
    if user is not None and user.id is not None:
        rate = settings.rate_limit_premium if user.is_premium else settings.rate_limit_standard
        key = ("platform_v1", "user", str(user.id))
    else:
        rate = settings.rate_limit_standard
        key = ("platform_v1", "address", client_address(request))
    return await request.app.state.rate_limiter.hit(rate, *key)


def _headers(budget: Budget) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(budget.limit).encode()),
        (b"x-ratelimit-remaining", str(budget.remaining).encode()),
        (b"x-ratelimit-reset", str(budget.reset_at).encode()),
    ]


class RateLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            try:
                user = await caller(request)
            except Unauthenticated:  # the operation answers it (or, logging in, ignores it)
                user = None
            budget = await _spend(request, user)
        except RateLimited as exc:
            response = STYLE.domain_error(request, exc, None)
            if exc.budget is not None:
                response.raw_headers.extend(_headers(exc.budget))
            await response(scope, receive, send)
            return
        extra = _headers(budget)

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_budget)
