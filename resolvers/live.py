"""Live ticket events (GraphQL subscriptions): the events table the webhooks use, read by id.

Every change through any door writes an `Event` in its own transaction (`events.record`), so
reading that table is enough to hear about all of them, from every process. Each process runs
one `EventHub`: while anyone listens it reads the events past its *horizon* (the highest id up
to which everything has been read) every `SUBSCRIPTION_POLL_SECONDS`, and hands each new batch
to every listener, which keeps what its caller may see (`deliverable`).

Ids are handed out at insert but become visible at commit, so on PostgreSQL id 8 may appear
after id 9. The hub only moves its horizon over a missing id once it has waited `GAP_GRACE`
for it (a transaction that rolled back leaves a hole for ever), so events arrive in id order
and a subscriber that resumes `after` the last id it saw misses nothing. On SQLite (one writer)
ids appear in order. Docs: docs/graphql.md ("Subscriptions").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.functions import Max

from models import Event
from resolvers import custom_fields
from resolvers.errors import Conflict
from resolvers.events import TICKET_DELETED
from resolvers.permissions import (
    Actor,
    is_staff,
    require_user,
    sees_every_ticket,
    sees_internal,
    visible_tickets,
)

log = logging.getLogger("ticketgate.live")

GAP_GRACE = 5.0  # seconds a missing id may still be a transaction about to commit
READ_BATCH = 500  # events read per poll
REPLAY_BATCH = 200  # events read per step of a replay (`after`)
MAX_BACKLOG = 100  # batches a listener may fall behind before it is dropped


@dataclass(frozen=True)
class EventFilter:
    """What a subscriber asks for; empty means everything it may see."""

    ticket_id: int | None = None
    queue_id: int | None = None
    kinds: frozenset[str] = frozenset()

    def asks_for(self, event: Event) -> bool:
        return (
            event.ticket_id is not None
            and (self.ticket_id is None or event.ticket_id == self.ticket_id)
            and (not self.kinds or event.kind in self.kinds)
        )


async def deliverable(
    actor: Actor | None, events: list[Event], wanted: EventFilter, shown: set[int]
) -> list[Event]:
    """The ticket events of `events` that `wanted` asks for and `actor` may receive now: of
    tickets it can see, never an internal one for a customer (show their payloads through
    `payload_for`). A deleted ticket cannot be seen any more: its deletion reaches a customer
    only if the ticket is in `shown` (tickets this subscriber was already shown; kept up to
    date here)."""
    actor = require_user(actor)
    internal_ok = sees_internal(actor)
    found = [e for e in events if wanted.asks_for(e) and (internal_ok or not e.internal)]
    if found and (wanted.queue_id is not None or not sees_every_ticket(actor)):
        tickets = visible_tickets(actor).filter(id__in={e.ticket_id for e in found})
        if wanted.queue_id is not None:
            tickets = tickets.filter(queue_id=wanted.queue_id)
        seen = set(await tickets.values_list("id", flat=True))
        found = [
            e
            for e in found
            if e.ticket_id in seen
            or (e.kind == TICKET_DELETED and e.ticket_id in shown and not sees_every_ticket(actor))
        ]
        shown.update(seen)
    return found


def payload_for(actor: Actor | None, event: Event) -> dict[str, Any]:
    """An event's payload as `actor` may read it: without staff-only custom field values."""
    change = event.payload.get("changes", {}).get("custom_fields")
    if not change or is_staff(actor):
        return event.payload
    shown = {k: custom_fields.visible(actor, v) for k, v in change.items()}
    return {**event.payload, "changes": {**event.payload["changes"], "custom_fields": shown}}


class FellBehind(Conflict):
    """The listener read too slowly; it resubscribes `after` its last event id."""


class _Listener:
    def __init__(self) -> None:
        self.batches: asyncio.Queue[list[Event]] = asyncio.Queue()
        self.dropped = False

    def put(self, batch: list[Event]) -> None:
        if self.batches.qsize() >= MAX_BACKLOG:
            self.dropped = True
        if not self.dropped:
            self.batches.put_nowait(batch)
        else:
            self.batches.put_nowait([])  # wakes the reader, which then raises FellBehind


class EventHub:
    """This process's reader of the events table, shared by all its subscribers."""

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def __init__(self, poll_seconds: float = 0.5) -> None:
        self.poll_seconds = poll_seconds
        self.horizon = 0  # every id <= horizon has been handed out
        self._listeners: set[_Listener] = set()
        self._task: asyncio.Task | None = None
        self._starting = asyncio.Lock()
        self._gap: tuple[int, float] | None = None  # (missing id, since when)

    async def _start(self) -> None:
        """Run the reader; an idle hub starts from the latest event (nobody waits for older
        ones: a subscriber that wants them passes `after`)."""
        async with self._starting:
            if self._task is None or self._task.done():
                self.horizon, self._gap = await _latest(), None
                self._task = asyncio.create_task(self._run(), name="event-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while self._listeners:
            try:
                await self.read()
            except Exception:  # the database is away: try again at the next tick
                log.exception("reading new events failed")
            await asyncio.sleep(self.poll_seconds)

    async def read(self) -> None:
        """Hand the events committed since the last read to every listener, in id order."""
        rows = await Event.filter(id__gt=self.horizon).order_by("id").limit(READ_BATCH)
        batch = []
        for event in rows:
            if event.id != self.horizon + 1 and not self._gave_up_on(self.horizon + 1):
                break
            batch.append(event)
            self.horizon = event.id
        if batch:
            for listener in self._listeners:
                listener.put(batch)

    def _gave_up_on(self, missing: int) -> bool:
        now = time.monotonic()
        if self._gap is None or self._gap[0] != missing:
            self._gap = (missing, now)
        return now - self._gap[1] >= GAP_GRACE

    async def follow(
        self,
        who: Callable[[], Awaitable[Actor | None]],
        wanted: EventFilter,
        after: int | None,
        shown: set[int] | None = None,
    ) -> AsyncIterator[list[Event]]:
        """Batches of events for the caller `who()` (asked again before every batch, so a
        revoked credential stops the stream), starting after event `after` (else from now).
        `shown`: tickets the caller has already seen (`deliverable`)."""
        require_user(await who())
        shown = set() if shown is None else shown
        listener = _Listener()
        await self._start()
        self._listeners.add(listener)
        try:
            # from `after` on: replay up to the hub's horizon; else from the latest event
            upto = self.horizon if after is not None else max(self.horizon, await _latest())
            cursor = after
            while cursor is not None and cursor < upto:  # the events it missed
                rows = await (
                    Event.filter(id__gt=cursor, id__lte=upto).order_by("id").limit(REPLAY_BATCH)
                )
                if not rows:
                    break
                cursor = rows[-1].id
                found = await deliverable(await who(), rows, wanted, shown)
                if found:
                    yield found
            while True:
                batch = await listener.batches.get()
                if listener.dropped:
                    raise FellBehind("Too slow to read the events: subscribe again with after.")
                fresh = [e for e in batch if e.id > upto]
                found = await deliverable(await who(), fresh, wanted, shown) if fresh else []
                if found:
                    yield found
        finally:
            self._listeners.discard(listener)


async def _latest() -> int:
    found = await Event.annotate(top=Max("id")).values_list("top", flat=True)
    return found[0] or 0
