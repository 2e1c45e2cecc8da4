"""One request budget across every door (`resolvers.ratelimit.spend_request`).

`server.py` puts `RequestBudget` in front of each door, outside its `DialectGuard` (so the
guard's own answers, a 413 or a 500, carry the budget's headers too): it names the caller once
(`web.caller`, cached on the request for the door), spends one request from that caller's
budget (per API key, `auth.api_key_id`) and, when none is left, answers 429 with `Retry-After`
in the door's own error format without running the door. Answered before any door runs: 304s
(rest/conditional.py), `/healthz` and `/readyz` spend nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers import auth
from resolvers.errors import DomainError, RateLimited
from resolvers.ratelimit import Budget, spend_request
from rest.kit.guard import ErrorRenderer, unexpected
from web import caller, client_address


def throttled_message(retry_after: int) -> str:
    """DRF's wording, which the helpdesk dialect must use and reads well in every door."""
    return f"Request was throttled. Expected available in {retry_after} seconds."


class RequestBudget:
    """Spend the caller's request budget; `headers` adds `X-RateLimit-*` to every answer
    (platform v1's reference asks for them). `render` is the door's `error_response`; a door
    whose refusals carry more (GraphQL's `retryAfter`) passes `throttled(message, seconds)`."""

    def __init__(
        self,
        app: ASGIApp,
        render: ErrorRenderer,
        headers: bool = False,
        throttled: Callable[[str, int], Response] | None = None,
    ) -> None:
        self.app, self.headers, self.render = app, headers, render
        self.throttled = throttled or (lambda message, seconds: render(429, message))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            budget = await self._spend(Request(scope))
        except RateLimited as exc:
            response = self.throttled(throttled_message(exc.retry_after), exc.retry_after)
            response.headers["Retry-After"] = str(exc.retry_after)
            if self.headers:
                response.headers.update(_budget_headers(exc.budget))
            await response(scope, receive, send)
            return
        except Exception:  # (a store that cannot be reached): the door's 500, as the guard's
            await unexpected(scope, self.render)(scope, receive, send)
            return
        if budget is None:
            await self.app(scope, receive, send)
            return
        extra = [(k.lower().encode(), v.encode()) for k, v in _budget_headers(budget).items()]

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_budget)

    async def _spend(self, request: Request) -> Budget | None:
        try:
            actor = await caller(request)
        except DomainError:  # a wrong or throttled credential: the door answers it
            actor = None
        settings = request.app.state.settings
        return await spend_request(
            request.app.state.rate_limiter,
            actor,
            client_address(request),
            standard=settings.rate_limit_standard,
            premium=settings.rate_limit_premium,
            api_key=auth.api_key_id(request.headers) if actor else None,
            report=self.headers,
        )


def _budget_headers(budget: Budget) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(budget.limit),
        "X-RateLimit-Remaining": str(budget.remaining),
        "X-RateLimit-Reset": str(budget.reset_at),
    }
