"""Request budgets (the `limits` library): in memory by default, Redis to share across processes.

`spend_request` is the one request budget every door shares (rest/budget.py spends it for
every request of every door, so switching doors does not multiply it), per API key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from observe import metrics
from resolvers import clock
from resolvers.errors import RateLimited
from resolvers.permissions import Actor


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset_at: int  # unix seconds when the window resets

    def retry_after(self) -> int:
        return max(1, self.reset_at - int(clock.now().timestamp()))


@functools.lru_cache(maxsize=64)
def _item(rate: str) -> RateLimitItem:
    """A rate ("100/minute") parsed once (parsing it took a tenth of a small request)."""
    return parse(rate)


class RateLimiter:
    """`hit(rate, key)` spends one request from the `rate` budget ("100/minute") of `key`."""

    def __init__(self, storage_uri: str = "memory://", key_prefix: str | None = None) -> None:
        """`key_prefix` (Redis only) keeps separate deployments or test runs apart."""
        if not storage_uri.startswith("async+"):
            storage_uri = f"async+{storage_uri}"
        options: dict[str, str] = {}
        if storage_uri.startswith("async+redis"):
            options["implementation"] = "redispy"  # the installed `redis` client, not coredis
            if key_prefix:
                options["key_prefix"] = key_prefix
        self.storage = storage_from_string(storage_uri, **options)
        self.strategy = FixedWindowRateLimiter(self.storage)

    async def hit(self, rate: str, *key: str, cost: int = 1, report: bool = True) -> Budget | None:
        """Spend `cost`; raises RateLimited (with the budget's numbers) when not enough is left.
        Without `report`, an allowed hit returns None (one storage round trip fewer)."""
        item = _item(rate)
        allowed = await self.strategy.hit(item, *key, cost=cost)
        if allowed and not report:
            return None
        stats = await self.strategy.get_window_stats(item, *key)
        budget = Budget(item.amount, max(stats.remaining, 0), int(stats.reset_time))
        if not allowed:
            metrics.rate_limited(key[0] if key else "")
            raise RateLimited("Too many requests.", budget.retry_after(), budget)
        return budget

    async def reset(self) -> None:
        await self.storage.reset()


async def spend_request(
    limiter: RateLimiter,
    actor: Actor | None,
    address: str,
    *,
    standard: str,
    premium: str,
    api_key: str | None = None,
    report: bool = True,
) -> Budget | None:
    """One request from the caller's budget, whichever door it came through: per API key, as
    platform v1's reference budgets (each of a user's tokens has its own, `api_key` being the
    token's key id; JWTs and passwords count as the user's own key; `premium` for
    `is_premium` users), else per client address (anonymous callers and wrong credentials).
    RateLimited when it is spent."""
    if actor is not None and actor.id is not None:
        rate = premium if actor.is_premium else standard
        key = ("request", "token", api_key) if api_key else ("request", "user", str(actor.id))
    else:
        rate, key = standard, ("request", "address", address)
    return await limiter.hit(rate, *key, report=report)
