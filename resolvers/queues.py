"""Queues (the control panel's topics)."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError

from models import Queue
from resolvers import clock, validation
from resolvers.errors import Conflict, Invalid, NotFound
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import Actor, require_admin, require_user

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


async def create_queue(
    actor: Actor | None, *, title: str, slug: str, is_public: bool = False
) -> Queue:
    """A new queue; `is_public` lets the anonymous nephthys feed list its tickets."""
    require_admin(actor)
    title = validation.text("title", title, max_length=200)
    slug = validation.text("slug", slug, max_length=64).lower()
    if not SLUG_RE.match(slug):
        raise Invalid("slug", "Slugs use lower-case letters, digits, '-' and '_'.")
    try:
        return await Queue.create(
            title=title, slug=slug, is_public=is_public, created_at=clock.now()
        )
    except IntegrityError:
        raise Conflict(f"A queue with slug {slug!r} already exists.") from None


async def set_queue_public(actor: Actor | None, queue_id: int, is_public: bool) -> Queue:
    """Mark a queue public (its tickets appear in the anonymous nephthys feed) or not."""
    require_admin(actor)
    queue = await get_queue(actor, queue_id)
    queue.is_public = is_public
    await queue.save(update_fields=["is_public"])
    return queue


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
