"""Sends pending webhook deliveries: claim, sign, POST, then record and reschedule.

Safe with several processes: a delivery is claimed with a conditional UPDATE (same id, same
attempt count, still pending) that also pushes `next_attempt_at` one lease ahead, so no other
worker picks it up meanwhile, and a worker that dies mid-send only delays it by the lease.
The API never waits for any of this: the worker is a background task with its own HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import httpx
import orjson

from models import Event, User, WebhookDelivery
from observe import metrics
from resolvers import clock, outbound, projections, reads, views
from resolvers.projections import Row
from resolvers.reads import Read
from resolvers.webhooks import DELIVERED_AS, receives

log = logging.getLogger("ticketgate.webhooks")

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(seconds=60)  # longer than one attempt can take (TIMEOUT)
TIMEOUT = outbound.TIMEOUT
BATCH = 20
MAX_ERROR = 500
USER_AGENT = "ticketgate-webhooks/1"


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 10 s, 20 s, 40 s, … capped at one hour."""
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)


def sign(secret: str, body: bytes) -> str:
    """The `X-Ticketgate-Signature` value: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- payloads


@dataclass
class EventView:
    """What a delivery's body says about its event, read when it is sent: the ticket's
    columns (the renderer's `ticket_columns`, None once deleted or no longer visible to the
    webhook's owner), the comment's `COMMENT_COLUMNS`, and through `views.related` the
    ticket's tags and every person named (the actor, the opener and assignee, a new user)."""

    event: Event
    kind: str  # the name it is delivered as (DELIVERED_AS)
    ticket: Row | None
    comment: Row | None
    related: views.Related


COMMENT_COLUMNS = ("body", "created_at")


class Payloads(NamedTuple):
    """How a webhook body is written (the wording is a door's: `server.py` registers platform
    v1's with `use_payloads`, since the domain does not import the doors)."""

    ticket_columns: Sequence[str]  # "id" first; "opened_by_id" and "assigned_to_id" among them
    render: Callable[[EventView], dict[str, Any]]


_payloads: Payloads | None = None


def use_payloads(payloads: Payloads) -> None:
    global _payloads
    _payloads = payloads


def event_view(event: Event, owner: User, columns: Sequence[str]) -> Read[EventView]:
    """The `EventView` of `event` as the webhook's `owner` may see it: at most four
    statements."""
    ticket = None
    if event.ticket_id is not None:
        ticket = yield from projections.ticket_row(owner, event.ticket_id, columns)
    comment = None
    if event.kind == "comment.created":
        comment_id = event.payload.get("comment_id")
        found = yield from projections.comments_by_ids([comment_id], COMMENT_COLUMNS)
        comment = found.get(comment_id)
    people = {event.actor_id}
    if event.kind == "user.created":
        people.add(event.payload.get("user_id"))
    if ticket is not None:
        people |= {ticket[columns.index("opened_by_id")], ticket[columns.index("assigned_to_id")]}
    ids = [ticket[0]] if ticket is not None else []
    rel = yield from views.related(ids, tags=True, people=people)
    return EventView(event, DELIVERED_AS.get(event.kind, event.kind), ticket, comment, rel)


async def payload(event: Event, owner: User) -> dict[str, Any]:
    """The body for `event`, rendered by the registered `Payloads`; read at delivery time."""
    if _payloads is None:
        raise RuntimeError("No webhook payload renderer registered (use_payloads).")
    view = await reads.run(event_view(event, owner, _payloads.ticket_columns))
    return _payloads.render(view)


# ---------------------------------------------------------------- delivery


async def _claim(delivery: WebhookDelivery, now: datetime) -> bool:
    claimed = await WebhookDelivery.filter(
        id=delivery.id, status="pending", attempts=delivery.attempts
    ).update(attempts=delivery.attempts + 1, next_attempt_at=now + LEASE)
    delivery.attempts += 1
    return claimed == 1


async def _attempt(
    client: httpx.AsyncClient, delivery: WebhookDelivery
) -> tuple[int | None, str | None]:
    """One POST (the client checks the target as it connects, resolvers/outbound.py);
    returns (status code or None, error text or None)."""
    webhook, event = delivery.webhook, delivery.event
    try:
        body = orjson.dumps(await payload(event, webhook.owner))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Ticketgate-Event": DELIVERED_AS.get(event.kind, event.kind),
            "X-Ticketgate-Event-Id": str(event.id),
            "X-Ticketgate-Delivery": str(delivery.id),
            "X-Ticketgate-Signature": sign(webhook.secret, body),
        }
        response = await client.post(webhook.url, content=body, headers=headers)
    except Exception as exc:  # network error, refused target, …: recorded, worker keeps going
        return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def _deliver(client: httpx.AsyncClient, delivery: WebhookDelivery, now: datetime) -> None:
    if not await _claim(delivery, now):
        return
    webhook = delivery.webhook
    if receives(webhook, webhook.owner, delivery.event):
        code, error = await _attempt(client, delivery)
        give_up = delivery.attempts >= MAX_ATTEMPTS
    else:  # the owner lost their rights since the event: never send it
        code, error, give_up = None, "The webhook's owner may no longer receive this event.", True
    changes: dict[str, Any] = {"last_status_code": code, "last_error": error}
    if error is None:
        changes.update(status="delivered", delivered_at=clock.now(), next_attempt_at=None)
    elif give_up:
        changes.update(status="failed", next_attempt_at=None)
    else:
        changes["next_attempt_at"] = now + backoff(delivery.attempts)
    metrics.WEBHOOK_ATTEMPTS.labels(changes.get("status", "retry")).inc()
    # a worker whose lease ran out (someone else re-claimed it) must not overwrite the result
    await WebhookDelivery.filter(id=delivery.id, attempts=delivery.attempts).update(**changes)


async def deliver_due(
    *,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
    allow_private: bool = False,
    limit: int = BATCH,
) -> int:
    """One pass: attempt up to `limit` due deliveries of active webhooks, concurrently, with
    `client` (default: `outbound.client(allow_private=...)`).

    Returns how many were due. Tests call this directly with a frozen `now`.
    """
    now = now or clock.now()
    due = (
        await WebhookDelivery.filter(
            status="pending", next_attempt_at__lte=now, webhook__active=True
        )
        .order_by("next_attempt_at", "id")
        .limit(limit)
        .select_related("webhook__owner", "event")
    )
    if not due:
        return 0
    owns_client = client is None
    client = client or outbound.client(allow_private=allow_private)
    try:
        await asyncio.gather(*(_deliver(client, d, now) for d in due))
    finally:
        if owns_client:
            await client.aclose()
    return len(due)


class WebhookWorker:
    """Background loop calling `deliver_due`; started and stopped by the server's lifespan.

    Stopping lets the pass in progress finish (its sends are bounded by TIMEOUT), so results
    are recorded; a pass cut short anyway is retried once its lease runs out.
    """

    def __init__(self, *, allow_private: bool, interval: float = 1.0) -> None:
        self.allow_private, self.interval = allow_private, interval
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace: float = TIMEOUT.read + 5) -> None:
        """Let the pass in progress finish, for at most `grace` seconds (SHUTDOWN_TIMEOUT);
        then cancel it (its deliveries are retried once their lease runs out)."""
        if self._task is None:
            return
        self._stopping.set()
        with contextlib.suppress(TimeoutError):  # (wait_for cancels it then)
            await asyncio.wait_for(self._task, grace)
        self._task = None

    async def _run(self) -> None:
        async with outbound.client(allow_private=self.allow_private) as client:
            while not self._stopping.is_set():
                try:
                    due = await deliver_due(client=client, allow_private=self.allow_private)
                except Exception:
                    log.exception("webhook delivery pass failed")
                    due = 0
                if due < BATCH:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), self.interval)
