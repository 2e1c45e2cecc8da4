"""Comments: add (public or internal, optionally changing the status), list, read."""

from __future__ import annotations

from tortoise.expressions import Subquery

from models import Comment, Ticket
from resolvers import clock, events, limits, tickets, validation, writes
from resolvers.errors import Forbidden, Invalid, NotFound
from resolvers.files import NewFile, Storage, attach, check_files, claim
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import (
    Actor,
    require_staff,
    require_user,
    sees_internal,
    visible_ticket,
    visible_tickets,
)

TITLE = validation.max_length(Comment, "title")


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
    file_uuids: list[str] = (),
    lenient: bool = False,
) -> Comment:
    """Add a comment; customers cannot write internal ones. Optionally changes the status
    (`lenient` as in `tickets.update_ticket`); only a comment that does may be empty."""
    actor = require_user(actor)
    body = validation.text("body", body, max_length=limits.COMMENT, required=False).strip()
    if not body and new_status is None:
        raise Invalid("body", "body is required.")
    title = validation.text("title", title or "", max_length=TITLE, required=False)
    if is_internal and not sees_internal(actor):
        raise Forbidden("Customers cannot write internal comments.")
    if time_spent_seconds is not None:
        validation.integer("time_spent", time_spent_seconds, low=0, high=10**7)
    check_files(list(files))
    async with writes.transaction():
        ticket = await visible_ticket(actor, ticket_id, for_update=True)
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
        if file_uuids:  # uploaded beforehand (resolvers.files.upload)
            await claim(actor, list(file_uuids), ticket_id=ticket.id, comment_id=comment.id)
        await events.record(
            events.COMMENT_CREATED,
            actor,
            ticket_id=ticket.id,
            payload={"comment_id": comment.id, "is_internal": is_internal},
            internal=is_internal,
        )
        before = writes.columns(ticket)
        _touch_conversation(ticket, actor, comment)
        ticket.updated_at = comment.created_at
        await writes.save_changed(ticket, before)
        if new_status is not None:
            was = ticket.status
            ticket = await tickets.update_ticket(
                actor, ticket.id, status=new_status, lenient=lenient
            )
            if ticket.status != was:  # the status this comment moved the ticket to
                comment.new_status = ticket.status.value
                await comment.save(update_fields=["new_status"])
    return comment


def visible_comments(actor: Actor | None):
    return Comment.all() if sees_internal(actor) else Comment.filter(is_internal=False)


async def list_all_comments(actor: Actor | None, win: Window) -> Page[Comment]:
    """Every comment the actor may read, on any ticket they see, oldest first."""
    tickets_seen = Subquery(visible_tickets(actor).values("id"))
    found = visible_comments(actor).filter(ticket_id__in=tickets_seen)
    return await paginate(found.order_by("created_at", "id"), win)


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


async def update_comment(
    actor: Actor | None,
    comment_id: int,
    *,
    title: str | None = None,
    body: str | None = None,
    is_internal: bool | None = None,
    time_spent_seconds: int | None = None,
) -> Comment:
    """Staff edit a comment's text, visibility or time spent (None leaves a field as is)."""
    require_staff(actor)
    changes: dict = {}
    if title is not None:
        changes["title"] = validation.text("title", title, max_length=TITLE, required=False)
    if body is not None:
        changes["body"] = validation.text("body", body, max_length=limits.COMMENT)
    if is_internal is not None:
        changes["is_internal"] = bool(is_internal)
    if time_spent_seconds is not None:
        changes["time_spent_seconds"] = validation.integer(
            "time_spent", time_spent_seconds, low=0, high=10**7
        )
    async with writes.transaction():
        comment = await get_comment(actor, comment_id)
        was_internal = comment.is_internal
        changed = {k: v for k, v in changes.items() if getattr(comment, k) != v}
        if changed:
            for name, value in changed.items():
                setattr(comment, name, value)
            await comment.save(update_fields=list(changed))
            await events.record(
                events.COMMENT_UPDATED,
                actor,
                ticket_id=comment.ticket_id,
                payload={"comment_id": comment.id, "fields": sorted(changed)},
                internal=was_internal or comment.is_internal,
            )
    return comment


async def delete_comment(actor: Actor | None, comment_id: int) -> None:
    """Staff delete a comment with its attachments; the event log keeps a record."""
    require_staff(actor)
    async with writes.transaction():
        comment = await get_comment(actor, comment_id)
        await events.record(
            events.COMMENT_DELETED,
            actor,
            ticket_id=comment.ticket_id,
            payload={"comment_id": comment.id},
            internal=comment.is_internal,
        )
        await comment.delete()


async def attach_to_comment(
    actor: Actor | None, storage: Storage, comment_id: int, files: list[NewFile]
):
    """Add files to an existing comment: its author or staff."""
    comment = await get_comment(actor, comment_id)
    if comment.author_id != actor.id and not actor.is_staff:
        raise Forbidden("Only the author or staff may add files to a comment.")
    check_files(list(files))
    async with writes.transaction():
        return await attach(
            actor, storage, list(files), ticket_id=comment.ticket_id, comment_id=comment.id
        )
