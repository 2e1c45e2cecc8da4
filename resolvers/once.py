"""`Once`: one run of a load per key at a time, however many callers ask for it meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class Once:
    """Callers that ask for the same key while its load runs wait for that one run (fifty
    requests missing one cache entry together would each load it, and the last wait for all).
    A caller that gives up does not cancel the run the others wait for."""

    def __init__(self) -> None:
        self.pending: dict[Hashable, asyncio.Future] = {}

    async def run(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        pending = self.pending.get(key)
        if pending is None:
            pending = self.pending[key] = asyncio.ensure_future(load())
            pending.add_done_callback(lambda _: self.pending.pop(key, None))
        return await asyncio.shield(pending)
