"""Queues (the control panel's topics)."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError

from models import Queue
from resolvers import clock, events, validation, writes
from resolvers.errors import Conflict, Invalid, NotFound
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import Actor, require_admin, require_user

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
