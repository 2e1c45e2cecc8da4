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
from resolvers import search, validation
from resolvers.pagination import Keyset, Window, trimmed
from resolvers.permissions import (
    Actor,
    sees_every_ticket,
    sees_internal,
    visible_tickets_sql,
)
from resolvers.reads import Read, columns, marks
from resolvers.tickets import COMPARABLE, TicketFilter, TicketOrder, utc

Row = Sequence
COMMENT_SORTS = (("created_at", False),)  # comments: oldest first


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def ticket_where(actor: Actor | None, filt: TicketFilter) -> tuple[str, list]:
    """The visible tickets matching `filt` as a condition on `tickets AS t`."""
    clause, values = visible_tickets_sql(actor)
    matching, more = _matching(filt)
    return (f"{clause} AND {matching}" if matching else clause), values + more


def _matching(filt: TicketFilter) -> tuple[str, list]:
    """`filt`'s conditions on `tickets AS t` ("" when it has none: every ticket matches)."""
    where: list[str] = []
    values: list = []
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
    if filt.queue_ids:
        where.append(f"t.queue_id IN ({marks(len(filt.queue_ids))})")
        values += list(filt.queue_ids)
    if filt.assignee_ids or filt.unassigned:
        either = [f"t.assigned_to_id IN ({marks(len(filt.assignee_ids))})"] * bool(
            filt.assignee_ids
        ) + ["t.assigned_to_id IS NULL"] * filt.unassigned
        where.append(f"({' OR '.join(either)})")
        values += list(filt.assignee_ids)
    if filt.tag:
        where.append("t.id IN (SELECT ticket_id FROM ticket_tags WHERE name = ?)")
        values.append(validation.no_nul("tag", filt.tag))
    if filt.tags:
        where.append(
            f"t.id IN (SELECT ticket_id FROM ticket_tags WHERE name IN ({marks(len(filt.tags))}))"
        )
        values += [validation.no_nul("tags", tag) for tag in filt.tags]
    if filt.search:
        like = "UPPER(CAST({} AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'"
        matches = [like.format("t.title"), like.format("t.description")]
        if filt.search_comments:
            matches.append(
                "t.id IN (SELECT c.ticket_id FROM comments c"
                f" WHERE c.is_internal = FALSE AND {like.format('c.body')})"
            )
        where.append(f"({' OR '.join(matches)})")
        values += [_like(validation.no_nul("search", filt.search.strip()))] * len(matches)
    if filt.text:
        found = search.ticket_condition("t", filt.text)
        if found is not None:
            where.append(found[0])
            values += found[1]
    for name, op, column in (
        ("created_after", ">=", "created_at"),
        ("created_before", "<=", "created_at"),
        ("updated_after", ">=", "updated_at"),
    ):
        if getattr(filt, name) is not None:
            where.append(f"t.{column} {op} ?")
            values.append(utc(getattr(filt, name), name))
    for compare in filt.compare:
        is_time = COMPARABLE[compare.column]
        bounds = ((">", compare.gt), (">=", compare.gte), ("<", compare.lt), ("<=", compare.lte))
        for op, bound in bounds:
            if bound is not None:
                where.append(f"t.{compare.column} {op} ?")
                values.append(utc(bound, compare.column) if is_time else bound)
    if filt.submitter_email:
        where.append("t.submitter_email = ?")
        values.append(validation.no_nul("submitter_email", filt.submitter_email))
    for part in filt.all_of:
        found, more = _matching(part)
        if found:
            where.append(f"({found})")
            values += more
    if filt.any_of:
        parts = [_matching(part) for part in filt.any_of]
        if all(found for found, _ in parts):  # (an empty alternative matches every ticket)
            where.append(f"({' OR '.join(f'({found})' for found, _ in parts)})")
            values += [value for _, more in parts for value in more]
    if filt.none_of is not None:
        found, more = _matching(filt.none_of)
        # NULL (a comparison with an empty column) counts as not matching, so NOT keeps it.
        where.append(f"NOT COALESCE(({found}), FALSE)" if found else "1 = 0")
        values += more
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


Sorts = Sequence[tuple[str, bool]]  # (column, descending), in order


def _keyset_columns(sorts: Sorts) -> list[tuple[str, bool]]:
    """The sort columns with the id that breaks their ties (in the last one's direction)."""
    return list(sorts) if sorts[-1][0] == "id" else [*sorts, ("id", sorts[-1][1])]


def keyset_where(sorts: Sorts, keys: Keyset, alias: str) -> tuple[str, list]:
    """` AND …` conditions keeping the rows strictly between the keyset's bounds in the order
    `sorts, id`: a row-value comparison when every column runs one way (which the `(column,
    id)` indexes serve), else its expansion `a > ? OR (a = ? AND b < ?) OR …`."""
    where, values = "", []
    columns_ = _keyset_columns(sorts)
    for bound, is_after in ((keys.after, True), (keys.before, False)):
        if bound is None:
            continue
        given = [*bound[0], bound[1]] if sorts[-1][0] != "id" else list(bound[0])
        ops = [">" if is_after != descending else "<" for _, descending in columns_]
        names = [f"{alias}.{name}" for name, _ in columns_]
        if len(set(ops)) == 1:
            where += f" AND ({', '.join(names)}) {ops[0]} ({marks(len(names))})"
            values += given
            continue
        either = []
        for n, (name, op) in enumerate(zip(names, ops, strict=True)):
            either.append(" AND ".join([*(f"{m} = ?" for m in names[:n]), f"{name} {op} ?"]))
            values += [*given[:n], given[n]]
        where += f" AND ({' OR '.join(f'({e})' for e in either)})"
    return where, values


def keyset_order(sorts: Sorts, keys: Keyset, alias: str) -> str:
    """The ORDER BY of a keyset page (reversed when it is taken from the end)."""
    return ", ".join(
        f"{alias}.{name} {'DESC' if descending != keys.backward else 'ASC'}"
        for name, descending in _keyset_columns(sorts)
    )


def ticket_keyset_page(
    actor: Actor | None,
    filt: TicketFilter,
    order: TicketOrder,
    keys: Keyset,
    names: Sequence[str],
    *,
    with_total: bool = True,
) -> Read[tuple[list[Row], int | None, bool]]:
    """A keyset page of visible tickets: rows of `names` plus the sort values last (for
    cursors), their total when asked, and whether more rows lie beyond the page in its
    direction. Statements: the page (LIMIT limit + 1), and the count when asked."""
    where, values = ticket_where(actor, filt)
    sorts = order.sorts()
    total = (yield from _total(actor, filt, where, values)) if with_total else None
    bounds, bound_values = keyset_where(sorts, keys, "t")
    sort_columns = columns(Ticket, [name for name, _ in sorts], "t")
    rows = yield (
        f"SELECT {columns(Ticket, names, 't')}, {sort_columns} FROM tickets t"
        f" WHERE {where}{bounds} ORDER BY {keyset_order(sorts, keys, 't')} LIMIT ?",
        [*values, *bound_values, keys.limit + 1],
    )
    rows, more = trimmed(rows, keys)
    return rows, total, more


def ticket_count(actor: Actor | None, filt: TicketFilter) -> Read[int]:
    """How many visible tickets match `filt`."""
    where, values = ticket_where(actor, filt)
    return (yield from _total(actor, filt, where, values))


def _total(actor: Actor | None, filt: TicketFilter, where: str, values: list) -> Read[int]:
    """How many tickets match. Staff who see every ticket, filtering by status alone, read the
    running totals that triggers keep per status (migration 0003), so the count costs the same
    at 1M tickets as at 10k; anything else counts rows."""
    if sees_every_ticket(actor) and filt == TicketFilter(statuses=filt.statuses):
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


def comments_by_ids(ids: Iterable[int], names: Sequence[str]) -> Read[dict[int, Row]]:
    """Comments by id, whoever may see them (the caller has checked)."""
    return (yield from _by_ids(Comment, "comments", ids, names))


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


def first_comments(
    actor: Actor | None, ticket_ids: Sequence[int], limit: int, names: Sequence[str]
) -> Read[dict[int, list[Row]]]:
    """The first `limit` comments (oldest first; internal ones only for staff) of each ticket
    that the caller already sees: two statements whatever their number."""
    if not ticket_ids:
        return {}
    public = " AND {}.is_internal = FALSE" if not sees_internal(actor) else ""
    ids = marks(len(ticket_ids))
    # A probe: does any ticket have more than `limit` comments (it reads at most `limit` + 1
    # index entries per ticket)? Almost never, and then every comment of the tickets is one
    # plain read of the (ticket_id, created_at) index, in order; a third cheaper than cutting
    # each ticket's window with a per-ticket LIMIT (below), which also reads at most `limit`
    # comments of any ticket (a window function over all of them was slower at every size).
    crowded = yield (
        f"SELECT EXISTS (SELECT 1 FROM tickets t WHERE t.id IN ({ids}) AND EXISTS (SELECT 1"
        f" FROM comments w WHERE w.ticket_id = t.id{public.format('w')} LIMIT 1 OFFSET ?))",
        [*ticket_ids, limit],
    )
    selected = columns(Comment, names, "c")
    if not crowded[0][0]:
        rows = yield (
            f"SELECT c.ticket_id, {selected} FROM comments c WHERE c.ticket_id IN ({ids})"
            f"{public.format('c')} ORDER BY c.ticket_id, c.created_at, c.id",
            list(ticket_ids),
        )
    else:
        rows = yield (
            f"SELECT c.ticket_id, {selected} FROM tickets t JOIN comments c ON c.id IN"
            f" (SELECT w.id FROM comments w WHERE w.ticket_id = t.id{public.format('w')}"
            f" ORDER BY w.created_at, w.id LIMIT ?) WHERE t.id IN ({ids})"
            " ORDER BY c.ticket_id, c.created_at, c.id",
            [limit, *ticket_ids],
        )
    grouped: dict[int, list[Row]] = {tid: [] for tid in ticket_ids}
    for row in rows:
        grouped[row[0]].append(row[1:])
    return grouped


def comment_keyset_pages(
    actor: Actor | None,
    ticket_ids: Sequence[int],
    keys: Keyset,
    names: Sequence[str],
    *,
    with_total: bool = True,
) -> Read[dict[int, tuple[list[Row], int, bool]]]:
    """One keyset page of comments per ticket the caller already sees (oldest first; internal
    ones only for staff): {ticket id: (rows of `names` plus `created_at` last, total, more)}.
    Two statements whatever the number of tickets (the totals only when asked)."""
    pages: dict[int, tuple[list[Row], int, bool]] = {tid: ([], 0, False) for tid in ticket_ids}
    if not ticket_ids:
        return pages
    public = "" if sees_internal(actor) else " AND {}.is_internal = FALSE"
    totals: dict[int, int] = {}
    if with_total:
        counted = yield (
            f"SELECT c.ticket_id, COUNT(*) FROM comments c WHERE"
            f" c.ticket_id IN ({marks(len(ticket_ids))}){public.format('c')}"
            " GROUP BY c.ticket_id",
            list(ticket_ids),
        )
        totals = dict(counted)
    # Each ticket's page straight from the (ticket_id, created_at) index, LIMIT per ticket
    # (as `first_comments`), after or before the cursor's position.
    bounds, bound_values = keyset_where(COMMENT_SORTS, keys, "w")
    rows = yield (
        f"SELECT c.ticket_id, {columns(Comment, names, 'c')}, c.created_at FROM tickets t"
        " JOIN comments c ON c.id IN (SELECT w.id FROM comments w WHERE w.ticket_id = t.id"
        f"{public.format('w')}{bounds} ORDER BY {keyset_order(COMMENT_SORTS, keys, 'w')}"
        f" LIMIT ?) WHERE t.id IN ({marks(len(ticket_ids))})"
        f" ORDER BY c.ticket_id, {keyset_order(COMMENT_SORTS, keys, 'c')}",
        [*bound_values, keys.limit + 1, *ticket_ids],
    )
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    for tid in ticket_ids:
        found, more = trimmed(grouped.get(tid, []), keys)
        pages[tid] = (found, totals.get(tid, 0), more)
    return pages
