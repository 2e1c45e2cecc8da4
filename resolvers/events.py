"""The event log: written with every change, read as ticket history and by the outbox."""

from __future__ import annotations

from typing import Any

from models import Event
from resolvers import clock, webhooks
from resolvers.pagination import Keyset, Slice, pages_per_ticket
from resolvers.permissions import Actor, sees_internal

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
TICKET_STATUS_CHANGED = "ticket.status_changed"
TICKET_ASSIGNED = "ticket.assigned"
TICKET_DELETED = "ticket.deleted"
COMMENT_CREATED = "comment.created"
COMMENT_UPDATED = "comment.updated"
COMMENT_DELETED = "comment.deleted"
USER_CREATED = "user.created"
USER_UPDATED = "user.updated"  # role or active flag (payload: the changes)
USER_PASSWORD_SET = "user.password_set"  # (never the password or its hash)
QUEUE_CREATED = "queue.created"
QUEUE_UPDATED = "queue.updated"  # title, is_public, archived_at (payload: the changes)
QUEUE_MEMBER_ADDED = "queue.member_added"  # an agent's queue (payload: user_id)
QUEUE_MEMBER_REMOVED = "queue.member_removed"
TOKEN_REVOKED = "token.revoked"
SESSION_REVOKED = "session.revoked"  # a login JWT signed out


async def record(
    kind: str,
    actor: Actor | None,
    *,
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
    internal: bool = False,
) -> Event:
    """Write one event and its pending webhook deliveries (the outbox).

    Call it inside the transaction that makes the change, so both commit with it.
    """
    event = await Event.create(
        kind=kind,
        ticket_id=ticket_id,
        actor_id=getattr(actor, "id", None),
        payload=payload or {},
        internal=internal,
        created_at=clock.now(),
    )
    await webhooks.enqueue(event)
    return event


def _visible_events(actor: Actor | None):
    return Event.all() if sees_internal(actor) else Event.filter(internal=False)


async def histories_for(
    actor: Actor | None, ticket_ids: list[int], keys: Keyset
) -> dict[int, Slice[Event]]:
    """One keyset page of history (oldest first, by id; customers never see internal events)
    for each of many tickets the caller already sees."""
    internal = "" if sees_internal(actor) else "internal = FALSE"
    return await pages_per_ticket(_visible_events(actor), internal, ticket_ids, keys)
