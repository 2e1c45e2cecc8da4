"""Webhooks: subscriptions (admin only), target checks, and the outbox fan-out.

`enqueue(event)` runs inside the transaction that records the event (resolvers/events.py), so a
committed change always has its pending WebhookDelivery rows; resolvers/webhook_worker.py sends
them. A webhook acts with its owner's rights: only webhooks whose owner is an active staff
member receive deliveries, so no customer-owned webhook ever sees an internal comment (and
management is admin-only, so customers cannot create one in the first place).
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise import connections

from models import Event, User, Webhook, WebhookDelivery
from resolvers import clock, validation
from resolvers.errors import Conflict, Invalid, NotFound
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import Actor, require_admin

EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.status_changed",
    "comment.created",
    "user.created",
)
# Internal event kinds delivered under another documented name; kinds absent here and from
# EVENTS (ticket.deleted, comment.updated, …) are not delivered.
DELIVERED_AS = {"ticket.assigned": "ticket.updated"}
DELIVERY_STATUSES = ("pending", "delivered", "failed")
ANY_ACTIVE = "SELECT 1 FROM webhooks WHERE active LIMIT 1"
MAX_WEBHOOKS = 100
MIN_SECRET, MAX_SECRET = 16, 255

# ---------------------------------------------------------------- target checks


PRIVATE_TARGET = "Webhook targets on loopback or private networks are not allowed."
# Prefixes that carry an IPv4 address inside an IPv6 one: the embedded address is judged.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Never a target, whatever they embed: IPv4-compatible (deprecated, ::/96), local-use NAT64,
# Teredo (its client address is obfuscated), site-local; the 6to4 relay anycast block.
REFUSED_NETWORKS = [
    ipaddress.ip_network(net)
    for net in ("::/96", "64:ff9b:1::/48", "2001::/32", "fec0::/10", "192.88.99.0/24")
]


def forbidden_address(address: str) -> bool:
    """Whether a webhook may not connect to `address` (text, as getaddrinfo gives it): not
    globally routable (loopback, private, link-local, shared, reserved, documentation, …),
    multicast, or an IPv6 form embedding such an IPv4 address (IPv4-mapped, NAT64, 6to4)."""
    ip = ipaddress.ip_address(address.split("%")[0])  # (an IPv6 zone id)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(ip.packed[12:])
        if embedded is not None:
            return forbidden_address(str(embedded))
    if any(ip in net for net in REFUSED_NETWORKS if net.version == ip.version):
        return True
    return not ip.is_global or ip.is_multicast or ip.is_reserved


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver); tests replace it."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


async def public_addresses(host: str, port: int) -> list[str]:
    """The addresses to connect to for `host`: all of them public, else Invalid("url")."""
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError):
        raise Invalid("url", f"Host {validation.shown(host)} cannot be resolved.") from None
    if not addresses or any(forbidden_address(a) for a in addresses):
        raise Invalid("url", PRIVATE_TARGET)
    return addresses


async def check_target(url: str, *, allow_private: bool) -> None:
    """Only http(s); unless `allow_private`, every address the host resolves to must be public.
    Checked when a webhook is saved, and again at each connection (resolvers/outbound.py)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("url", "url must be an absolute http:// or https:// URL.")
    if not allow_private:
        await public_addresses(parts.hostname, port or (443 if parts.scheme == "https" else 80))


# ---------------------------------------------------------------- management


def _events(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid("events", "events must be a non-empty list.")
    unknown = [v for v in value if v not in EVENTS]
    if unknown:
        raise Invalid("events", f"events must be some of: {', '.join(EVENTS)}.")
    return list(dict.fromkeys(value))


def _secret(value: object) -> str:
    secret = validation.text("secret", value, max_length=MAX_SECRET)
    if len(secret) < MIN_SECRET:
        raise Invalid("secret", f"secret must be at least {MIN_SECRET} characters.")
    return secret


def _active(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid("active", "active must be true or false.")
    return value


async def _clean(changes: dict[str, Any], allow_private: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "url":
            clean["url"] = validation.text("url", value, max_length=2000)
            await check_target(clean["url"], allow_private=allow_private)
        elif name == "events":
            clean["events"] = _events(value)
        elif name == "secret":
            clean["secret"] = _secret(value)
        elif name == "active":
            clean["active"] = _active(value)
        else:
            raise Invalid(name, f"Unknown field {name!r}.")
    return clean


async def create_webhook(
    actor: Actor | None,
    *,
    url: str,
    events: list[str],
    secret: str | None = None,
    active: bool = True,
    allow_private: bool = False,
) -> Webhook:
    """A new subscription owned by the admin creating it; a secret is generated if omitted."""
    actor = require_admin(actor)
    fields: dict[str, Any] = {"url": url, "events": events, "active": active}
    if secret is not None:
        fields["secret"] = secret
    clean = await _clean(fields, allow_private)
    if await Webhook.all().count() >= MAX_WEBHOOKS:
        raise Conflict(f"At most {MAX_WEBHOOKS} webhooks may exist; delete one first.")
    clean.setdefault("secret", secrets.token_urlsafe(32))
    return await Webhook.create(**clean, owner_id=actor.id, created_at=clock.now())


async def get_webhook(actor: Actor | None, webhook_id: int) -> Webhook:
    require_admin(actor)
    webhook = await Webhook.get_or_none(id=webhook_id)
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} not found.")
    return webhook


async def list_webhooks(actor: Actor | None, win: Window) -> Page[Webhook]:
    require_admin(actor)
    return await paginate(Webhook.all().order_by("id"), win)


async def update_webhook(
    actor: Actor | None, webhook_id: int, *, allow_private: bool = False, **changes: Any
) -> Webhook:
    webhook = await get_webhook(actor, webhook_id)
    clean = await _clean(changes, allow_private)
    if clean:
        webhook.update_from_dict(clean)
        await webhook.save(update_fields=list(clean))
    return webhook


async def delete_webhook(actor: Actor | None, webhook_id: int) -> None:
    """Deletes the subscription and its delivery records."""
    webhook = await get_webhook(actor, webhook_id)
    await webhook.delete()


@dataclass(frozen=True)
class DeliveryFilter:
    status: str | None = None


async def list_deliveries(
    actor: Actor | None, webhook_id: int, filt: DeliveryFilter, win: Window
) -> Page[WebhookDelivery]:
    """A webhook's deliveries, newest first, with their event."""
    await get_webhook(actor, webhook_id)
    rows = WebhookDelivery.filter(webhook_id=webhook_id)
    if filt.status is not None:
        if filt.status not in DELIVERY_STATUSES:
            choices = ", ".join(DELIVERY_STATUSES)
            raise Invalid("status", f"Status must be one of: {choices}")
        rows = rows.filter(status=filt.status)
    return await paginate(rows.order_by("-id").select_related("event"), win)


# ---------------------------------------------------------------- outbox fan-out


def receives(webhook: Webhook, owner: User | None, event: Event) -> bool:
    """Whether this webhook gets this event (subscription, activity, owner's rights)."""
    kind = DELIVERED_AS.get(event.kind, event.kind)
    return (
        webhook.active
        and kind in webhook.events
        and owner is not None
        and owner.is_active
        and owner.is_staff
    )


async def enqueue(event: Event) -> int:
    """One pending delivery per webhook that receives `event`. Call inside its transaction."""
    if DELIVERED_AS.get(event.kind, event.kind) not in EVENTS:
        return 0
    # Most stores have no webhook: one plain statement says so (the query below, with its join,
    # cost a write a quarter of its CPU; resolvers/writes.py).
    _, found = await connections.get("default").execute_query(ANY_ACTIVE)
    if not found:
        return 0
    webhooks = await Webhook.filter(active=True).select_related("owner")
    now = clock.now()
    rows = [
        WebhookDelivery(webhook_id=w.id, event_id=event.id, next_attempt_at=now, created_at=now)
        for w in webhooks
        if receives(w, w.owner, event)
    ]
    if rows:
        await WebhookDelivery.bulk_create(rows)
    return len(rows)


async def pending_deliveries() -> int:
    """Deliveries not yet sent nor given up (the webhook queue's depth, for metrics)."""
    return await WebhookDelivery.filter(status="pending").count()
