"""Comments: add (public or internal, optionally changing the status), list, read."""

from __future__ import annotations

from collections import defaultdict

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from models import Comment, Ticket
from resolvers import clock, events, sql, tickets, validation
from resolvers.errors import Forbidden, NotFound
from resolvers.files import NewFile, Storage, attach, check_files
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import Actor, require_user, sees_internal, visible_ticket

MAX_BODY = 100_000


def _touch_conversation(ticket: Ticket, actor: Actor, comment: Comment) -> None:
    """Keep the message timestamps the stats read: last message, first staff response."""
    if comment.is_internal:
        return
    ticket.last_message_at = comment.created_at
    ticket.last_message_by_staff = actor.is_staff
    if actor.is_staff and ticket.first_response_at is None:
        ticket.first_response_at = comment.created_at


async def add_comment(
    actor: Actor | None,
    ticket_id: int,
    body: str,
    *,
    is_internal: bool = False,
    title: str = "",
    new_status: str | None = None,
    time_spent_seconds: int | None = None,
    files: list[NewFile] = (),
    storage: Storage | None = None,
) -> Comment:
    """Add a comment; customers cannot write internal ones. Optionally changes the status."""
    actor = require_user(actor)
    body = validation.text("body", body, max_length=MAX_BODY)
    title = validation.text("title", title or "", max_length=200, required=False)
    if is_internal and not sees_internal(actor):
        raise Forbidden("Customers cannot write internal comments.")
    if time_spent_seconds is not None:
        validation.integer("time_spent", time_spent_seconds, low=0, high=10**7)
    check_files(list(files))
    async with in_transaction():
        ticket = await visible_ticket(actor, ticket_id)
        comment = await Comment.create(
            ticket_id=ticket.id,
            author_id=actor.id,
            title=title,
            body=body,
            is_internal=is_internal,
            created_at=clock.now(),
            time_spent_seconds=time_spent_seconds,
            is_client_read=not actor.is_staff,
        )
        if files:
            await attach(actor, storage, list(files), ticket_id=ticket.id, comment_id=comment.id)
        await events.record(
            events.COMMENT_CREATED,
            actor,
            ticket_id=ticket.id,
            payload={"comment_id": comment.id, "is_internal": is_internal},
            internal=is_internal,
        )
        _touch_conversation(ticket, actor, comment)
        ticket.updated_at = comment.created_at
        await ticket.save()
        if new_status is not None:
            await tickets.update_ticket(actor, ticket.id, status=new_status)
            comment.new_status = tickets.parse_status(new_status).value
            await comment.save(update_fields=["new_status"])
    return comment


def visible_comments(actor: Actor | None):
    return Comment.all() if sees_internal(actor) else Comment.filter(is_internal=False)


async def list_comments(actor: Actor | None, ticket_id: int, win: Window) -> Page[Comment]:
    """A ticket's comments, oldest first (internal ones only for staff)."""
    await visible_ticket(actor, ticket_id)
    comments = visible_comments(actor).filter(ticket_id=ticket_id).order_by("created_at", "id")
    return await paginate(comments, win)


async def get_comment(actor: Actor | None, comment_id: int) -> Comment:
    require_user(actor)
    comment = await visible_comments(actor).get_or_none(id=comment_id)
    if comment is None:
        raise NotFound(f"Comment {comment_id} not found.")
    await visible_ticket(actor, comment.ticket_id)
    return comment


async def comments_for(
    actor: Actor | None, ticket_ids: list[int], win: Window
) -> dict[int, Page[Comment]]:
    """One page of comments for each of many tickets, in two statements whatever their number.

    The caller has already checked that the actor sees these tickets.
    """
    visible = visible_comments(actor).filter(ticket_id__in=ticket_ids)
    totals = dict(
        await visible.group_by("ticket_id").annotate(n=Count("id")).values_list("ticket_id", "n")
    )
    rows = await _ranked_page(actor, ticket_ids, win)
    grouped: dict[int, list[Comment]] = defaultdict(list)
    for comment in rows:
        grouped[comment.ticket_id].append(comment)
    return {
        tid: Page(grouped.get(tid, []), totals.get(tid, 0), win.offset, win.limit)
        for tid in ticket_ids
    }


async def _ranked_page(actor: Actor | None, ticket_ids: list[int], win: Window) -> list[Comment]:
    """Rows offset..offset+limit of each ticket's comments (ROW_NUMBER over ticket)."""
    if not ticket_ids:
        return []
    marks = sql.params(len(ticket_ids) + 2)
    internal = "" if sees_internal(actor) else "AND is_internal = FALSE"
    query = (
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER"
        " (PARTITION BY ticket_id ORDER BY created_at, id) AS rn FROM comments"
        f" WHERE ticket_id IN ({', '.join(marks[:-2])}) {internal}) ranked"
        f" WHERE rn > {marks[-2]} AND rn <= {marks[-1]}"
    )
    rows = await sql.fetch(query, [*ticket_ids, win.offset, win.offset + win.limit])
    ids = [row["id"] for row in rows]
    return await Comment.filter(id__in=ids).order_by("created_at", "id") if ids else []
