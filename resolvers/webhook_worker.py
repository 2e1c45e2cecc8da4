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
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from models import Comment, Event, Ticket, User, WebhookDelivery
from observe import metrics
from resolvers import clock, outbound, tickets
from resolvers.clock import timestamp
from resolvers.webhooks import (
    DELIVERED_AS,
    PLATFORM_STATUS,
    PRIORITY_NAMES,
    receives,
    user_ref,
)

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


def _changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Changed fields in platform terms: priority names, `<name>_id` as `<name>` string ids."""
    out: dict[str, Any] = {}
    for name, change in changes.items():
        if name == "priority":
            change = {k: PRIORITY_NAMES.get(v) for k, v in change.items()}
        elif name.endswith("_id"):
            name = name.removesuffix("_id")
            change = {k: None if v is None else str(v) for k, v in change.items()}
        out[name] = change
    return out


async def _ticket_data(event: Event, actor: User | None) -> dict[str, Any]:
    ticket = await Ticket.get_or_none(id=event.ticket_id).select_related("opened_by", "assigned_to")
    title = ticket.title if ticket else event.payload.get("title")
    data: dict[str, Any] = {"id": str(event.ticket_id), "title": title}
    if event.kind == "ticket.status_changed":  # exactly the reference's example
        data["status"] = {k: PLATFORM_STATUS[v] for k, v in event.payload.items()}
        data["updated_by"] = user_ref(actor)
        return data
    if ticket is not None:
        data.update(
            status=PLATFORM_STATUS[ticket.status.value],
            priority=PRIORITY_NAMES.get(ticket.priority, "low"),
            assigned_to=user_ref(ticket.assigned_to),
        )
    if event.kind == "ticket.created" and ticket is not None:
        tags = await tickets.tags_for([ticket.id])
        data.update(
            description=ticket.description,
            created_at=timestamp(ticket.created_at),
            created_by=user_ref(ticket.opened_by),
            tags=tags.get(ticket.id, []),
            custom_fields=ticket.custom_fields,
        )
    elif event.kind == "ticket.updated":
        data["changes"] = _changes(event.payload.get("changes", {}))
    elif event.kind == "ticket.assigned":
        data["changes"] = _changes({"assigned_to_id": event.payload})
    data["updated_by"] = user_ref(actor)
    return data


async def payload(event: Event) -> dict[str, Any]:
    """The body for `event`, shaped like the reference's example (`event`, `timestamp`, `data`).

    Event-specific parts (status previous/current, changes) come from the event; the rest of
    the ticket is read at delivery time.
    """
    actor = await User.get_or_none(id=event.actor_id) if event.actor_id else None
    kind = DELIVERED_AS.get(event.kind, event.kind)
    data: dict[str, Any] = {}
    if kind == "user.created":
        user = await User.get_or_none(id=event.payload.get("user_id"))
        data["user"] = {
            "id": str(event.payload.get("user_id")),
            "name": user.name if user else None,
            "email": user.email if user else None,
            "role": event.payload.get("role"),
            "created_at": timestamp(event.created_at),
            "created_by": user_ref(actor),
        }
    else:
        data["ticket"] = await _ticket_data(event, actor)
    if kind == "comment.created":
        comment_id = event.payload.get("comment_id")
        comment = await Comment.get_or_none(id=comment_id)
        data["comment"] = {
            "id": str(comment_id),
            "content": comment.body if comment else None,
            "is_internal": event.internal,
            "created_at": timestamp(comment.created_at if comment else event.created_at),
            "created_by": user_ref(actor),
        }
    return {"event": kind, "timestamp": timestamp(event.created_at), "data": data}


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
        body = orjson.dumps(await payload(event))
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
