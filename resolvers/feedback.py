"""The customer's side of a conversation (the control panel's Tickets API): opening a ticket with
its first message, reading (which marks support's replies read), closing with an evaluation,
reopening with a message, evaluating tickets, voting on replies, and the per-account budgets.

Only public comments take part: internal ones never appear here, not even for staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models import CLOSED_STATUSES, Comment, Status, Ticket
from resolvers import (
    clock,
    comments,
    events,
    limits,
    projections,
    queues,
    reads,
    tickets,
    validation,
    views,
    writes,
)
from resolvers.errors import Conflict, Forbidden, Invalid, NotFound
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import Actor, require_opener, require_user, visible_ticket
from resolvers.projections import Row
from resolvers.ratelimit import Budget, RateLimiter
from resolvers.reads import Read
from resolvers.views import Related

TICKET_EVALUATED = "ticket.evaluated"
COMMENT_VOTED = "comment.voted"
EVALUATION_FIELDS = ["evaluation_score", "evaluation_comment", "evaluated_at"]

# Which budget each operation spends, per account: the original's limits for tickets and
# comments (reopening posts a comment), ticketgate's own for uploads.
BUDGETS = {"ticket": "2/minute", "comment": "60/minute", "upload": "60/minute"}


async def spend(limiter: RateLimiter, actor: Actor | None, operation: str) -> Budget:
    """Spend one of the account's `operation` budget (ticket, comment, upload); RateLimited."""
    actor = require_user(actor)
    return await limiter.hit(BUDGETS[operation], "feedback", operation, str(actor.id))


def _customer(actor: Actor | None) -> Actor:
    actor = require_user(actor)
    if actor.is_staff:
        raise Forbidden("Only customers rate tickets and replies.")
    return actor


def _optional_text(field: str, value: str | None) -> str | None:
    return None if value is None else validation.text(field, value, max_length=limits.MESSAGE)


# ---------------------------------------------------------------- tickets


async def open_ticket(
    actor: Actor | None,
    *,
    summary: str,
    body: str,
    topic_key: str | None = None,
    file_uuids: list[str] = (),
    **fields: Any,
) -> Ticket:
    """A new ticket whose description is also its first comment (carrying the files)."""
    actor = require_user(actor)
    body = validation.text("body", body, max_length=limits.MESSAGE)
    if topic_key is not None:
        validation.no_nul("topic_key", topic_key)
        try:
            fields["queue_id"] = (await queues.queue_by_slug(actor, topic_key)).id
        except NotFound:
            raise NotFound(f"Topic {validation.shown(topic_key)} not found.") from None
    async with writes.transaction():
        ticket = await tickets.create_ticket(actor, title=summary, description=body, **fields)
        await comments.add_comment(actor, ticket.id, body, file_uuids=file_uuids)
    return await Ticket.get(id=ticket.id)


# The list's order, newest first.
ORDER = tickets.TicketOrder("created_at", descending=True)


def related(ticket_ids: list[int]) -> Read[Related]:
    """What the customer's side shows beside tickets' own columns: contacts, unread replies."""
    return (yield from views.related(ticket_ids, contacts=True, unread=True))


def _list_filter(only_opened: bool, only_closed: bool, q: str | None) -> tickets.TicketFilter:
    if only_opened and only_closed:
        raise Invalid("only_closed", "only_opened and only_closed exclude each other.")
    statuses: tuple[Status, ...] = ()
    if only_opened:
        statuses = tuple(s for s in Status if s not in CLOSED_STATUSES)
    if only_closed:
        statuses = CLOSED_STATUSES
    term = None
    if q is not None:  # (checked here too, to be named `q` in the answer)
        term = validation.text("q", q, max_length=validation.MAX_SEARCH, required=False).strip()
    return tickets.TicketFilter(statuses=statuses, search=term or None, search_comments=bool(term))


async def list_tickets(
    actor: Actor | None,
    win: Window,
    names: Sequence[str],
    *,
    only_opened: bool = False,
    only_closed: bool = False,
    q: str | None = None,
) -> tuple[Page[Row], Related]:
    """Visible tickets (their `names` columns, `id` first), newest first; `q` searches summary,
    description and public comments. One batch of reads whatever the page size."""
    filt = _list_filter(only_opened, only_closed, q)

    def read() -> Read[tuple[Page[Row], Related]]:
        rows, total = yield from projections.ticket_page(actor, filt, ORDER, win, names)
        page = Page(rows, total, win.offset, win.limit)
        return page, (yield from related([row[0] for row in rows]))

    return await reads.run(read())


async def mark_read(actor: Actor | None, number: int) -> Ticket:
    """The customer marks every public reply on a visible ticket read (staff: no change)."""
    actor = require_user(actor)
    ticket = await visible_ticket(actor, number)
    await _mark_read(actor, Comment.filter(ticket_id=number))
    return ticket


async def _mark_read(actor: Actor, unread: Any) -> None:
    """Reading as the customer marks the replies read; staff reading changes nothing."""
    if not actor.is_staff:
        await unread.filter(is_internal=False, is_client_read=False).update(is_client_read=True)


async def read_ticket(
    actor: Actor | None, number: int, names: Sequence[str]
) -> tuple[Row, Related]:
    """The ticket's `names` columns and `Related`, as they were before this read, which marks
    its replies read."""

    def read() -> Read[tuple[Row | None, Related | None]]:
        row = yield from projections.ticket_row(actor, number, names)
        return row, ((yield from related([number])) if row is not None else None)

    row, found = await reads.run(read())
    if row is None:
        raise NotFound(f"Ticket {number} not found.")
    if number in found.unread:
        await _mark_read(require_user(actor), Comment.filter(ticket_id=number))
    return row, found


async def close_ticket(
    actor: Actor | None, number: int, *, comment: str | None = None, score: int | None = None
) -> Ticket:
    """Close, optionally evaluating the ticket at once (`score` 1..10 and/or `comment`)."""
    actor = require_user(actor)
    evaluates = score is not None or comment is not None
    if evaluates:
        _customer(actor)
        if score is not None:
            validation.integer("score", score, low=1, high=10)
        comment = _optional_text("comment", comment)
    async with writes.transaction():
        ticket = await tickets.set_status(actor, number, Status.CLOSED)
        if evaluates:
            ticket = await _evaluate(actor, ticket, score, comment)
    return ticket


async def reopen_ticket(
    actor: Actor | None, number: int, *, body: str, file_uuids: list[str] = ()
) -> Ticket:
    """Reopen a closed or resolved ticket with a message (409 when it is not closed)."""
    body = validation.text("body", body, max_length=limits.MESSAGE)
    await comments.add_comment(
        actor, number, body, new_status=Status.REOPENED.value, file_uuids=file_uuids
    )
    return await tickets.get_ticket(actor, number)


async def evaluate_ticket(
    actor: Actor | None, number: int, *, score: int, comment: str | None = None
) -> Ticket:
    """The customer's evaluation of the ticket: score 1..10 and an optional comment."""
    actor = _customer(actor)
    validation.integer("score", score, low=1, high=10)
    comment = _optional_text("comment", comment)
    async with writes.transaction():
        ticket = await visible_ticket(actor, number, for_update=True)
        return await _evaluate(actor, ticket, score, comment)


async def _evaluate(actor: Actor, ticket: Ticket, score: int | None, comment: str | None) -> Ticket:
    require_opener(actor, ticket)
    if score is not None:
        ticket.evaluation_score = score
    if comment is not None:
        ticket.evaluation_comment = comment
    ticket.evaluated_at = ticket.updated_at = clock.now()
    await ticket.save(update_fields=[*EVALUATION_FIELDS, "updated_at"])
    payload = {"score": ticket.evaluation_score, "comment": ticket.evaluation_comment}
    await events.record(TICKET_EVALUATED, actor, ticket_id=ticket.id, payload=payload)
    return ticket


# ---------------------------------------------------------------- comments


def _public(ticket_id: int):
    return Comment.filter(ticket_id=ticket_id, is_internal=False)


async def read_comments(actor: Actor | None, number: int, win: Window) -> Page[Comment]:
    """A ticket's public comments, oldest first, as they were before this read marked them."""
    await visible_ticket(actor, number)
    page = await paginate(_public(number).order_by("created_at", "id"), win)
    unread = [c.id for c in page.items if not c.is_client_read]
    if unread:
        await _mark_read(actor, Comment.filter(id__in=unread))
    return page


async def _public_comment(actor: Actor | None, comment_id: int) -> Comment:
    comment = await comments.get_comment(actor, comment_id)
    if comment.is_internal:
        raise NotFound(f"Comment {comment_id} not found.")
    return comment


async def read_comment(actor: Actor | None, comment_id: int) -> Comment:
    """A public comment, as it was before this read marked it read."""
    comment = await _public_comment(actor, comment_id)
    if not comment.is_client_read:
        await _mark_read(require_user(actor), Comment.filter(id=comment.id))
    return comment


async def vote_comment(
    actor: Actor | None, comment_id: int, *, score: int, comment: str | None = None
) -> Comment:
    """The customer's vote on a reply from support: +1 or -1, with an optional comment."""
    actor = _customer(actor)
    if isinstance(score, bool) or score not in (1, -1):
        raise Invalid("score", "score must be 1 or -1.")
    comment = _optional_text("comment", comment)
    async with writes.transaction():
        reply = await _public_comment(actor, comment_id)
        author = await reply.author
        if author is None or not author.is_staff:
            raise Conflict("Only replies from support can be rated.")
        reply.vote_score, reply.vote_comment, reply.voted_at = score, comment, clock.now()
        await reply.save(update_fields=["vote_score", "vote_comment", "voted_at"])
        payload = {"comment_id": reply.id, "score": score, "comment": comment}
        await events.record(COMMENT_VOTED, actor, ticket_id=reply.ticket_id, payload=payload)
    return reply
