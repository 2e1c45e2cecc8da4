"""Projections: only the rows and columns a page renders, fetched in bulk as tuples.

The lean read path of every list (GraphQL's compiled plans, the REST pages): reads for
`resolvers.reads.run`, with the same permission rules and filters as the ORM path in
`resolvers.tickets` (tests hold the two equal). Column names come from code, never from
requests; each is checked against its model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from models import Attachment, Comment, Queue, Ticket, User
from resolvers.pagination import Window
from resolvers.permissions import Actor, is_staff, sees_internal, visible_tickets_sql
from resolvers.reads import Read, marks
from resolvers.tickets import TicketFilter, TicketOrder, utc

Row = Sequence


def columns(model, names: Iterable[str], alias: str) -> str:
    """`alias.a, alias.b, …` for real columns of `model`."""
    known = model._meta.db_fields
    names = list(names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {unknown}")
    return ", ".join(f"{alias}.{n}" for n in names)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def ticket_where(actor: Actor | None, filt: TicketFilter) -> tuple[str, list]:
    """The visible tickets matching `filt` as a condition on `tickets AS t`."""
    clause, values = visible_tickets_sql(actor)
    where = [clause]
    if filt.statuses:
        where.append(f"t.status IN ({marks(len(filt.statuses))})")
        values += [str(s) for s in filt.statuses]
    if filt.priorities:
        where.append(f"t.priority IN ({marks(len(filt.priorities))})")
        values += list(filt.priorities)
    for column in ("queue_id", "assigned_to_id", "opened_by_id"):
        if getattr(filt, column) is not None:
            where.append(f"t.{column} = ?")
            values.append(getattr(filt, column))
    if filt.tag:
        where.append("t.id IN (SELECT ticket_id FROM ticket_tags WHERE name = ?)")
        values.append(filt.tag)
    if filt.search:
        like = "UPPER(CAST({} AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'"
        matches = [like.format("t.title"), like.format("t.description")]
        if filt.search_comments:
            matches.append(
                "t.id IN (SELECT c.ticket_id FROM comments c"
                f" WHERE c.is_internal = FALSE AND {like.format('c.body')})"
            )
        where.append(f"({' OR '.join(matches)})")
        values += [_like(filt.search.strip())] * len(matches)
    for name, op, column in (
        ("created_after", ">=", "created_at"),
        ("created_before", "<=", "created_at"),
        ("updated_after", ">=", "updated_at"),
    ):
        if getattr(filt, name) is not None:
            where.append(f"t.{column} {op} ?")
            values.append(utc(getattr(filt, name), name))
    if filt.submitter_email:
        where.append("t.submitter_email = ?")
        values.append(filt.submitter_email.lower())
    return " AND ".join(where), values


def ticket_page(
    actor: Actor | None,
    filt: TicketFilter,
    order: TicketOrder,
    win: Window,
    names: Sequence[str],
    *,
    with_total: bool = True,
) -> Read[tuple[list[Row], int | None]]:
    """A window of visible tickets (`names` columns) and, when asked, their total."""
    where, values = ticket_where(actor, filt)
    by, then = (clause.lstrip("-") for clause in order.clauses())
    direction = "DESC" if order.descending else "ASC"
    total = (yield from _total(actor, filt, where, values)) if with_total else None
    rows = yield (
        f"SELECT {columns(Ticket, names, 't')} FROM tickets t WHERE {where}"
        f" ORDER BY t.{by} {direction}, t.{then} {direction} LIMIT ? OFFSET ?",
        [*values, win.limit, win.offset],
    )
    return rows, total


def ticket_count(actor: Actor | None, filt: TicketFilter) -> Read[int]:
    """How many visible tickets match `filt`."""
    where, values = ticket_where(actor, filt)
    return (yield from _total(actor, filt, where, values))


def _total(actor: Actor | None, filt: TicketFilter, where: str, values: list) -> Read[int]:
    """How many tickets match. Staff filtering by status alone read the running totals that
    triggers keep per status (migration 0003), so the count costs the same at 1M tickets as
    at 10k; anything else counts rows."""
    if is_staff(actor) and filt == TicketFilter(statuses=filt.statuses):
        statuses = [str(s) for s in filt.statuses]
        only = f" WHERE status IN ({marks(len(statuses))})" if statuses else ""
        rows = yield (
            f"SELECT CAST(COALESCE(SUM(tickets), 0) AS BIGINT) FROM ticket_totals{only}",
            statuses,
        )
    else:
        rows = yield (f"SELECT COUNT(*) FROM tickets t WHERE {where}", values)
    return int(rows[0][0])


def ticket_row(
    actor: Actor | None, ticket_id: int, names: Sequence[str], filt: TicketFilter = TicketFilter()
) -> Read[Row | None]:
    """One visible ticket's columns, None when missing, invisible or not matching `filt`."""
    where, values = ticket_where(actor, filt)
    rows = yield (
        f"SELECT {columns(Ticket, names, 't')} FROM tickets t WHERE t.id = ? AND {where}",
        [ticket_id, *values],
    )
    return rows[0] if rows else None


def _by_ids(model, table: str, ids: Iterable[int], names: Sequence[str]) -> Read[dict[int, Row]]:
    """{id: row} for the given ids (the first column selected is the id)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = yield (
        f"SELECT x.id, {columns(model, names, 'x')} FROM {table} x"
        f" WHERE x.id IN ({marks(len(wanted))})",
        wanted,
    )
    return {row[0]: row[1:] for row in rows}


def users_by_ids(ids: Iterable[int], names: Sequence[str]) -> Read[dict[int, Row]]:
    """Users are visible to every signed-in caller (as `resolvers.users.users_by_ids`)."""
    return (yield from _by_ids(User, "users", ids, names))


def queues_by_ids(ids: Iterable[int], names: Sequence[str]) -> Read[dict[int, Row]]:
    return (yield from _by_ids(Queue, "queues", ids, names))


def _names_for(table: str, column: str, ids: Sequence[int]) -> Read[dict[int, list[str]]]:
    found: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = yield (
            f"SELECT ticket_id, {column} FROM {table}"
            f" WHERE ticket_id IN ({marks(len(ids))}) ORDER BY id",
            list(ids),
        )
        for ticket_id, name in rows:
            found[ticket_id].append(name)
    return found


def tags_for(ticket_ids: Sequence[int]) -> Read[dict[int, list[str]]]:
    return (yield from _names_for("ticket_tags", "name", ticket_ids))


def contacts_for(ticket_ids: Sequence[int]) -> Read[dict[int, list[str]]]:
    return (yield from _names_for("ticket_contacts", "email", ticket_ids))


def _attachments(
    key: str, ids: Iterable[int], names: Sequence[str], condition: str = ""
) -> Read[dict[int, list[Row]]]:
    wanted = sorted(set(ids))
    found: dict[int, list[Row]] = defaultdict(list)
    if wanted:
        rows = yield (
            f"SELECT a.{key}, {columns(Attachment, names, 'a')} FROM attachments a"
            f" WHERE a.{key} IN ({marks(len(wanted))}){condition} ORDER BY a.id",
            wanted,
        )
        for row in rows:
            found[row[0]].append(row[1:])
    return found


def comment_attachments(comment_ids: Iterable[int], names: Sequence[str]) -> Read[dict]:
    """{comment id: [file rows]}, oldest first (the caller has checked the comments' visibility,
    as `resolvers.files.attachments_for`)."""
    return (yield from _attachments("comment_id", comment_ids, names))


def ticket_attachments(ticket_ids: Iterable[int], names: Sequence[str]) -> Read[dict]:
    """{ticket id: [file rows]} of the files attached to each ticket itself, not to its comments
    (as `resolvers.files.ticket_level_attachments_for`)."""
    return (yield from _attachments("ticket_id", ticket_ids, names, " AND a.comment_id IS NULL"))


def comment_pages(
    actor: Actor | None,
    ticket_ids: Sequence[int],
    win: Window,
    names: Sequence[str],
    *,
    with_total: bool = True,
) -> Read[dict[int, tuple[list[Row], int]]]:
    """One window of comments (oldest first; internal ones only for staff) per ticket that
    the caller already sees, with each ticket's total: two statements whatever their number."""
    pages: dict[int, tuple[list[Row], int]] = {tid: ([], 0) for tid in ticket_ids}
    if not ticket_ids:
        return pages
    public_only = not sees_internal(actor)
    where = f"c.ticket_id IN ({marks(len(ticket_ids))})"
    if public_only:
        where += " AND c.is_internal = FALSE"
    totals: dict[int, int] = {}
    if with_total:
        counted = yield (
            f"SELECT c.ticket_id, COUNT(*) FROM comments c WHERE {where} GROUP BY c.ticket_id",
            list(ticket_ids),
        )
        totals = dict(counted)
    # Each ticket's window straight from the (ticket_id, created_at) index, LIMIT per ticket:
    # reads at most offset + limit comments of any ticket (a window function over all of a
    # ticket's comments read every one of them, and was slower at every size).
    selected = columns(Comment, names, "c")
    rows = yield (
        f"SELECT c.ticket_id, {selected} FROM tickets t JOIN comments c ON c.id IN"
        " (SELECT w.id FROM comments w WHERE w.ticket_id = t.id"
        f"{' AND w.is_internal = FALSE' if public_only else ''}"
        " ORDER BY w.created_at, w.id LIMIT ? OFFSET ?)"
        f" WHERE t.id IN ({marks(len(ticket_ids))}) ORDER BY c.ticket_id, c.created_at, c.id",
        [win.limit, win.offset, *ticket_ids],
    )
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    return {tid: (grouped.get(tid, []), totals.get(tid, 0)) for tid in ticket_ids}
