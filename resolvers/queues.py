"""Queues (the control panel's topics)."""

from __future__ import annotations

import re

from tortoise import connections
from tortoise.exceptions import IntegrityError

from models import Queue, QueueMember, Role, User
from resolvers import clock, events, validation, writes
from resolvers.errors import Conflict, Invalid, NotFound
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import Actor, require_admin, require_staff, require_user

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

TITLE = validation.max_length(Queue, "title")


def _payload(queue: Queue, **extra) -> dict:
    return {"queue_id": queue.id, "slug": queue.slug, **extra}


async def create_queue(
    actor: Actor | None, *, title: str, slug: str, is_public: bool = False
) -> Queue:
    """A new queue; `is_public` lets the anonymous nephthys feed list its tickets."""
    require_admin(actor)
    title = validation.text("title", title, max_length=TITLE)
    slug = validation.text("slug", slug, max_length=64).lower()
    if not SLUG_RE.match(slug):
        raise Invalid("slug", "Slugs use lower-case letters, digits, '-' and '_'.")
    try:
        async with writes.transaction():
            queue = await Queue.create(
                title=title, slug=slug, is_public=is_public, created_at=clock.now()
            )
            await events.record(events.QUEUE_CREATED, actor, payload=_payload(queue))
    except IntegrityError:
        raise Conflict(f"A queue with slug {slug!r} already exists.") from None
    return queue


async def update_queue(
    actor: Actor | None,
    queue_id: int,
    *,
    title: str | None = None,
    is_public: bool | None = None,
    archived: bool | None = None,
) -> Queue:
    """Rename a queue, mark it public (its tickets appear in the anonymous nephthys feed) or
    not, archive it (it takes no new tickets; its tickets stay where they are) or restore it."""
    require_admin(actor)
    async with writes.transaction():
        queue = await Queue.select_for_update().get_or_none(id=queue_id)
        if queue is None:
            raise NotFound(f"Queue {queue_id} not found.")
        changes: dict = {}
        if title is not None:
            changes["title"] = validation.text("title", title, max_length=TITLE)
        if is_public is not None:
            changes["is_public"] = is_public
        if archived is not None and archived != (queue.archived_at is not None):
            changes["archived_at"] = clock.now() if archived else None
        changes = {k: v for k, v in changes.items() if getattr(queue, k) != v}
        if changes:
            queue.update_from_dict(changes)
            await queue.save(update_fields=list(changes))
            shown = {
                k: (v.isoformat() if k == "archived_at" and v else v) for k, v in changes.items()
            }
            await events.record(events.QUEUE_UPDATED, actor, payload=_payload(queue, changes=shown))
    return queue


async def default_queue_id() -> int:
    """Where a ticket opened without a queue goes: the oldest queue not archived, or a new
    `default` queue when there is none (migration 0010 moved older queue-less tickets).
    One plain statement on the caller's connection: through the query builder, it was a fifth
    of a create's CPU."""
    conn = connections.get("default")
    _, rows = await conn.execute_query(
        "SELECT id FROM queues WHERE archived_at IS NULL ORDER BY id LIMIT 1"
    )
    return rows[0][0] if rows else (await _created_default_queue()).id


async def _created_default_queue() -> Queue:
    try:
        async with writes.transaction():
            queue = await Queue.create(title="Default", slug="default", created_at=clock.now())
            await events.record(events.QUEUE_CREATED, None, payload=_payload(queue))
            return queue
    except IntegrityError:  # created meanwhile, or archived
        queue = await Queue.get(slug="default")
    if queue.archived_at is not None:
        raise Invalid("queue", "Every queue is archived: none takes new tickets.")
    return queue


async def _member(queue_id: int, user_id: int) -> tuple[Queue, User]:
    queue = await Queue.get_or_none(id=queue_id)
    if queue is None:
        raise NotFound(f"Queue {queue_id} not found.")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    if user.role != Role.AGENT:
        raise Invalid("user", "Only agents work in queues (admins reach every queue).")
    return queue, user


async def add_member(actor: Actor | None, queue_id: int, user_id: int) -> Queue:
    """Give an agent this queue: with per-queue staff permission on, it reaches the queue's
    tickets (docs/helpdesk.md). Adding a member twice changes nothing."""
    require_admin(actor)
    async with writes.transaction():
        queue, user = await _member(queue_id, user_id)
        if not await QueueMember.exists(queue_id=queue.id, user_id=user.id):
            await QueueMember.create(queue_id=queue.id, user_id=user.id)
            payload = _payload(queue, user_id=user.id)
            await events.record(events.QUEUE_MEMBER_ADDED, actor, payload=payload)
    return queue


async def remove_member(actor: Actor | None, queue_id: int, user_id: int) -> Queue:
    """Take this queue from an agent (nothing when it did not have it)."""
    require_admin(actor)
    async with writes.transaction():
        queue, user = await _member(queue_id, user_id)
        if await QueueMember.filter(queue_id=queue.id, user_id=user.id).delete():
            payload = _payload(queue, user_id=user.id)
            await events.record(events.QUEUE_MEMBER_REMOVED, actor, payload=payload)
    return queue


async def members_of(actor: Actor | None, queue_id: int) -> list[User]:
    """The agents who have this queue, oldest account first (staff only)."""
    require_staff(actor)
    return await User.filter(queues__queue_id=queue_id).order_by("id")


async def set_queue_public(actor: Actor | None, queue_id: int, is_public: bool) -> Queue:
    """Mark a queue public (its tickets appear in the anonymous nephthys feed) or not."""
    return await update_queue(actor, queue_id, is_public=is_public)


async def list_queues(actor: Actor | None, win: Window) -> Page[Queue]:
    require_user(actor)
    return await paginate(Queue.all().order_by("id"), win)


async def queues_by_ids(queue_ids: list[int]) -> dict[int, Queue]:
    """Queues by id in one query (queues are readable by every user)."""
    return {queue.id: queue for queue in await Queue.filter(id__in=queue_ids)}


async def get_queue(actor: Actor | None, queue_id: int) -> Queue:
    require_user(actor)
    queue = await Queue.get_or_none(id=queue_id)
    if queue is None:
        raise NotFound(f"Queue {queue_id} not found.")
    return queue


async def queue_by_slug(actor: Actor | None, slug: str) -> Queue:
    """The queue with this slug; a value no slug can be (over-long, NUL, …) finds none."""
    require_user(actor)
    queue = await Queue.get_or_none(slug=slug) if SLUG_RE.fullmatch(slug) else None
    if queue is None:
        raise NotFound(f"Queue {validation.shown(slug)} not found.")
    return queue
