"""Support-channel statistics (the nephthys `stats_v2` numbers), all computed by SQL aggregates.

All-time numbers come from running totals that triggers on `tickets` keep in the same
transaction as each change (migration 0003: `ticket_totals`, `closer_totals`); windows from
running totals per six-hour slot (migration 0004), plus the tickets at a window's edges.

Statuses are read in nephthys' three groups: open (open, reopened), in progress, closed
(resolved, closed, duplicate). Hang time is created_at → first_response_at (the first public
staff reply), resolution time created_at → closed_at of tickets closed now, both in minutes.
Windows are half-open `[since, until)`. One `stats_v2` answer costs at most five statements,
whatever the number of tickets (docs/nephthys.md lists them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from models import CLOSED_STATUSES, Role, Status, User
from resolvers import clock, sql, validation
from resolvers.errors import Invalid, NotFound
from resolvers.permissions import Actor, require_user

OPEN_STATUSES = (Status.OPEN, Status.REOPENED)
IN_PROGRESS_STATUSES = (Status.IN_PROGRESS,)
STAFF_ROLES = (Role.ADMIN, Role.AGENT)
DAY, WEEK = timedelta(days=1), timedelta(days=7)
DECIMALS = 2  # minutes are rounded to 1/100 so SQLite and PostgreSQL answer the same numbers


@dataclass(frozen=True)
class LeaderboardEntry:
    id: int
    slack_id: str | None
    count: int


@dataclass(frozen=True)
class OldestUnanswered:
    id: int
    created_at: datetime
    age_minutes: float
    message_ts: str | None


@dataclass(frozen=True)
class OverallStats:
    tickets_total: int
    tickets_open: int
    tickets_closed: int
    tickets_in_progress: int
    helpers_leaderboard: list[LeaderboardEntry]
    mean_hang_time_minutes_unresolved: float | None
    mean_hang_time_minutes_all: float | None
    mean_resolution_time_minutes: float | None
    oldest_unanswered_ticket: OldestUnanswered | None


@dataclass(frozen=True)
class TimeBoundStats:
    since: datetime
    until: datetime
    new_tickets_total: int
    new_tickets_now_closed: int
    new_tickets_still_open: int
    new_tickets_in_progress: int
    closed_today: int
    closed_today_from_today: int
    assigned_today_in_progress: int
    helpers_leaderboard: list[LeaderboardEntry]
    mean_hang_time_minutes_unresolved: float | None
    mean_hang_time_minutes_all: float | None
    mean_resolution_time_minutes: float | None


@dataclass(frozen=True)
class StatsV2:
    all_time: OverallStats
    past_24h: TimeBoundStats
    past_24h_previous: TimeBoundStats
    past_7d: TimeBoundStats
    past_7d_previous: TimeBoundStats


@dataclass(frozen=True)
class HelperStats:
    id: int
    slack_id: str | None
    helper: bool
    tickets_opened: int
    tickets_closed: int
    tickets_assigned: int
    tickets_assigned_in_progress: int
    mean_resolution_time_minutes: float | None


def reader(actor: Actor | None, public: bool) -> None:
    """Stats are aggregates over every ticket: anyone may read them on a public door,
    any authenticated user otherwise."""
    if not public:
        require_user(actor)


class _Params:
    """Collects parameter values while SQL is written left to right."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(sql.timestamp(value) if isinstance(value, datetime) else value)
        return sql.params(1, start=len(self.values))[0]


def _in(statuses: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{s}'" for s in statuses) + ")"


CLOSED_SQL, OPEN_SQL, ALL_SQL = _in(CLOSED_STATUSES), _in(OPEN_STATUSES), _in(tuple(Status))
STAFF_SQL = _in(STAFF_ROLES)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _minutes(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 60, DECIMALS)


def _mean(total: Any, count: int) -> float | None:
    return _minutes(float(total) / count) if count else None


# ---------------------------------------------------------------- all time


async def overall(actor: Actor | None, *, public: bool = False) -> OverallStats:
    """The all-time numbers: three statements."""
    reader(actor, public)
    # Running totals kept by triggers on `tickets` (migration 0003): six rows, not a scan.
    groups = await sql.fetch(
        "SELECT status, tickets AS n, answered, hang_ms / 1000.0 AS hang, closed,"
        " resolution_ms / 1000.0 AS resolution FROM ticket_totals",
        [],
    )
    by_status = {row["status"]: row for row in groups}

    def summed(key: str, count_key: str, statuses: tuple[str, ...] | None = None):
        rows = [r for s, r in by_status.items() if statuses is None or s in statuses]
        return sum(float(r[key] or 0) for r in rows), sum(int(r[count_key]) for r in rows)

    def count(statuses: tuple[str, ...] | None = None) -> int:
        return summed("n", "n", statuses)[1]

    unresolved = tuple(s for s in Status if s not in CLOSED_STATUSES)
    return OverallStats(
        tickets_total=count(),
        tickets_open=count(OPEN_STATUSES),
        tickets_closed=count(CLOSED_STATUSES),
        tickets_in_progress=count(IN_PROGRESS_STATUSES),
        helpers_leaderboard=await _leaderboard_all_time(),
        mean_hang_time_minutes_unresolved=_mean(*summed("hang", "answered", unresolved)),
        mean_hang_time_minutes_all=_mean(*summed("hang", "answered")),
        mean_resolution_time_minutes=_mean(*summed("resolution", "closed", CLOSED_STATUSES)),
        oldest_unanswered_ticket=await _oldest_unanswered(),
    )


async def _leaderboard_all_time() -> list[LeaderboardEntry]:
    rows = await sql.fetch(
        "SELECT u.id AS id, u.slack_id AS slack_id, c.tickets AS n"
        " FROM closer_totals c JOIN users u ON u.id = c.user_id"
        f" WHERE u.role IN {STAFF_SQL} AND c.tickets > 0 ORDER BY n DESC, u.id",
        [],
    )
    return [LeaderboardEntry(r["id"], r["slack_id"], int(r["n"])) for r in rows]


async def _oldest_unanswered() -> OldestUnanswered | None:
    """The open ticket whose last message, not from staff, is the oldest: the oldest of each
    open status first (an index seek each), then the older of those."""
    per_status = " UNION ALL ".join(
        "SELECT * FROM (SELECT id, created_at, message_ts, last_message_at FROM tickets"
        f" WHERE status = '{status}' AND last_message_by_staff = FALSE"
        " AND last_message_at IS NOT NULL ORDER BY last_message_at, id LIMIT 1)"
        f" AS s{n}"
        for n, status in enumerate(OPEN_STATUSES)
    )
    rows = await sql.fetch(
        f"SELECT * FROM ({per_status}) AS oldest ORDER BY last_message_at, id LIMIT 1", []
    )
    if not rows:
        return None
    created_at = sql.to_datetime(rows[0]["created_at"])
    age = (clock.now() - created_at).total_seconds()
    return OldestUnanswered(rows[0]["id"], created_at, _minutes(age), rows[0]["message_ts"])


# ---------------------------------------------------------------- windows
#
# A window [since, until) is read as the whole slots (quarter days, migration 0004) between the
# slot boundaries nearest its ends, from the slot tables its triggers keep, corrected by the
# tickets whose created_at, closed_at or assigned_at lies between an end and its boundary (the
# "edges", at most three hours each): for each of them, its share in the window minus its
# share in the whole slots. Every number is a sum over tickets, so this is exact.

SLOT = timedelta(hours=6)  # as migration 0004's SLOT_SECONDS
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _slot(moment: datetime) -> tuple[int, datetime]:
    """The slot boundary nearest `moment` (ties, and the end of year 9999, go down): its
    number and its instant."""
    slot, rest = divmod(moment - EPOCH, SLOT)
    if rest > SLOT / 2 and moment <= datetime.max.replace(tzinfo=UTC) - SLOT:
        slot += 1
    return slot, EPOCH + slot * SLOT


def _slice(column: str, cuts: list[datetime], p: _Params) -> str:
    """SQL numbering the slice [cuts[j], cuts[j+1]) that `column` falls in; -1 outside."""
    outside = f"WHEN {column} IS NULL OR {column} < {p(cuts[0])} OR {column} >= {p(cuts[-1])}"
    steps = " ".join(f"WHEN {column} < {p(cut)} THEN {j}" for j, cut in enumerate(cuts[1:-1]))
    return f"CASE {outside} THEN -1 {steps} ELSE {len(cuts) - 2} END"


def _milliseconds(start: str, end: str) -> str:
    """Whole milliseconds from `start` to `end`, exactly as the slot-table triggers count them."""
    if sql.is_postgres():
        return f"ROUND(EXTRACT(EPOCH FROM ({end} - {start})) * 1000)::BIGINT"
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400000.0) AS INTEGER)"


@dataclass
class _Sums:
    """Additive numbers of one window (whole slots plus edge corrections)."""

    # status → [tickets, answered, hang ms, closed, resolution ms] of the tickets created
    by_status: dict[str, list[int]] = field(default_factory=dict)
    closed: int = 0
    closed_from_today: int = 0
    assigned: int = 0
    closers: dict[int, int] = field(default_factory=dict)  # staff user id → closes
    slack_ids: dict[int, str | None] = field(default_factory=dict)


async def windows(
    actor: Actor | None, ranges: list[tuple[datetime, datetime]], *, public: bool = False
) -> list[TimeBoundStats]:
    """TimeBoundStats for each `[since, until)` range: two statements for all of them, one
    over the slot tables and one over the tickets at the edges."""
    reader(actor, public)
    ranges = [(_aware(since), _aware(until)) for since, until in ranges]
    for since, until in ranges:
        if since > until:
            raise Invalid("since", "since must not be later than until.")
    if not ranges:
        return []
    bounds = [(_slot(since), _slot(until)) for since, until in ranges]
    sums = [_Sums() for _ in ranges]
    await _add_slots([(low[0], high[0]) for low, high in bounds], sums)
    await _add_edges(ranges, [(low[1], high[1]) for low, high in bounds], sums)
    return [
        _window(since, until, window_sums)
        for (since, until), window_sums in zip(ranges, sums, strict=True)
    ]


async def _add_slots(slots: list[tuple[int, int]], sums: list[_Sums]) -> None:
    """Each window's whole slots, summed by the database from the slot tables."""
    p = _Params()
    cast = "::bigint" if sql.is_postgres() else ""
    spans = ", ".join(
        f"({p(i)}{cast}, {p(low)}{cast}, {p(high)}{cast})" for i, (low, high) in enumerate(slots)
    )
    rows = await sql.fetch(
        f"WITH w (i, low, high) AS (VALUES {spans})"
        " SELECT 'created' AS kind, w.i AS i, d.status AS status, NULL AS user_id,"
        " NULL AS slack_id,"
        " SUM(d.tickets) AS n, SUM(d.answered) AS answered, SUM(d.hang_ms) AS hang,"
        " SUM(d.closed) AS closed, SUM(d.resolution_ms) AS resolution"
        " FROM w JOIN ticket_slots d ON d.slot >= w.low AND d.slot < w.high GROUP BY w.i, d.status"
        " UNION ALL SELECT 'closed', w.i, NULL, u.id, u.slack_id, SUM(c.tickets), 0, 0, 0, 0"
        " FROM w JOIN closer_slots c ON c.slot >= w.low AND c.slot < w.high"
        f" LEFT JOIN users u ON u.id = c.closed_by_id AND u.role IN {STAFF_SQL}"
        " GROUP BY w.i, u.id, u.slack_id"
        " UNION ALL SELECT 'from_today', w.i, NULL, NULL, NULL, SUM(c.tickets), 0, 0, 0, 0"
        " FROM w JOIN closed_created_slots c ON c.slot >= w.low AND c.slot < w.high"
        " AND c.created_slot >= w.low AND c.created_slot < w.high GROUP BY w.i"
        " UNION ALL SELECT 'assigned', w.i, NULL, NULL, NULL, SUM(a.tickets), 0, 0, 0, 0"
        " FROM w JOIN assigned_slots a ON a.slot >= w.low AND a.slot < w.high GROUP BY w.i",
        p.values,
    )
    for row in rows:
        _add_row(sums[row["i"]], row, 1)


def _add_row(into: _Sums, row: dict[str, Any], sign: int) -> None:
    """Add (sign 1) or take away (-1) one aggregated row of the slot or edge statements."""
    n = sign * int(row["n"] or 0)
    kind = row["kind"]
    if kind == "created":
        totals = into.by_status.setdefault(row["status"], [0, 0, 0, 0, 0])
        for j, key in enumerate(("n", "answered", "hang", "closed", "resolution")):
            totals[j] += sign * int(row[key] or 0)
    elif kind == "closed":
        into.closed += n
        if row["user_id"] is not None:  # a staff closer
            into.closers[row["user_id"]] = into.closers.get(row["user_id"], 0) + n
            into.slack_ids[row["user_id"]] = row["slack_id"]
    elif kind == "from_today":
        into.closed_from_today += n
    else:
        into.assigned += n


async def _add_edges(
    ranges: list[tuple[datetime, datetime]],
    whole: list[tuple[datetime, datetime]],
    sums: list[_Sums],
) -> None:
    """Correct each window for the tickets at its edges: one statement.

    The ends and their nearest slot boundaries (`whole`: each window's whole slots) cut time
    into slices; the tickets whose created_at, closed_at or assigned_at falls in an edge are
    counted per slice, and each window adds a group when its slices lie in the window and takes
    it away when they lie in the window's whole slots.
    """
    cuts = sorted({moment for pair in (*ranges, *whole) for moment in pair})
    edges = [
        (min(end, boundary), max(end, boundary))
        for pair, whole_pair in zip(ranges, whole, strict=True)
        for end, boundary in zip(pair, whole_pair, strict=True)
    ]
    in_edge = [
        j
        for j in range(len(cuts) - 1)
        if any(low <= cuts[j] and cuts[j + 1] <= high for low, high in edges)
    ]
    if not in_edge:
        return
    p = _Params()

    def slices(columns: str, column: str, condition: str = "") -> str:
        """The rows whose `column` lies in an edge slice, with that slice's number: one index
        range each, so the slice of `column` needs no CASE."""
        return " UNION ALL ".join(
            f"SELECT {j} AS slice, {columns} FROM tickets WHERE {condition}"
            f"{column} >= {p(cuts[j])} AND {column} < {p(cuts[j + 1])}"
            for j in in_edge
        )

    # the other slice matters for tickets in a closed status only (closed_today_from_today)
    closed_only = f"CASE WHEN status IN {CLOSED_SQL} THEN"
    created = (
        f"SELECT 'created' AS kind, slice, {closed_only} {_slice('closed_at', cuts, p)} END"
        " AS other, status, NULL AS user_id, NULL AS slack_id, COUNT(*) AS n,"
        " COUNT(first_response_at) AS answered,"
        f" SUM({_milliseconds('created_at', 'first_response_at')}) AS hang,"
        f" COUNT(closed_at) AS closed, SUM({_milliseconds('created_at', 'closed_at')})"
        " AS resolution FROM ("
        + slices(
            "status, created_at, closed_at, first_response_at",
            "created_at",
            f"status IN {ALL_SQL} AND ",  # lets the covering index led by status serve
        )
        + ") AS c GROUP BY 2, 3, 4"
    )
    # grouped by closer first, staff looked up per group (not per ticket); Python adds rows up
    closed = (
        "SELECT g.kind, g.slice, g.other, NULL, u.id, u.slack_id, g.n, 0, 0, 0, 0 FROM ("
        f" SELECT {closed_only} 'closed+' ELSE 'closed' END AS kind, slice,"
        f" {closed_only} {_slice('created_at', cuts, p)} END AS other, closed_by_id,"
        " COUNT(*) AS n FROM ("
        + slices("status, created_at, closed_by_id", "closed_at")
        + ") AS t GROUP BY 1, 2, 3, 4) AS g"
        f" LEFT JOIN users u ON u.id = g.closed_by_id AND u.role IN {STAFF_SQL}"
    )
    assigned = (
        "SELECT 'assigned', slice, -1, NULL, NULL, NULL, COUNT(*), 0, 0, 0, 0 FROM ("
        + slices("assigned_at", "assigned_at", "status = 'in_progress' AND ")
        + ") AS a GROUP BY 2"
    )
    rows = await sql.fetch(f"{created} UNION ALL {closed} UNION ALL {assigned}", p.values)
    for (since, until), (since0, until0), into in zip(ranges, whole, sums, strict=True):
        for low, high, sign in ((since, until, 1), (since0, until0, -1)):
            covered = {j for j in range(len(cuts) - 1) if low <= cuts[j] and cuts[j + 1] <= high}
            for row in rows:
                _add_edge_row(into, row, covered, set(in_edge), sign)


def _add_edge_row(
    into: _Sums, row: dict[str, Any], covered: set[int], in_edge: set[int], sign: int
) -> None:
    """One edge group's share in the slices `covered` (a window, or its whole days)."""
    kind = row["kind"]
    if row["slice"] not in covered:
        return
    if kind == "created":
        _add_row(into, row, sign)
        # closed in the window too; groups closed in an edge are counted by the 'closed+' rows
        closed_in = row["other"] in covered and row["other"] not in in_edge
        if row["status"] in CLOSED_STATUSES and closed_in:
            into.closed_from_today += sign * int(row["n"])
    elif kind in ("closed", "closed+"):
        _add_row(into, {**row, "kind": "closed"}, sign)
        if kind == "closed+" and row["other"] in covered:
            into.closed_from_today += sign * int(row["n"])
    else:
        _add_row(into, row, sign)


def _window(since: datetime, until: datetime, sums: _Sums) -> TimeBoundStats:
    by_status = sums.by_status

    def total(j: int, keep) -> int:
        return sum(values[j] for status, values in by_status.items() if keep(status))

    def count(statuses: tuple[str, ...] | None = None) -> int:
        return total(0, lambda s: statuses is None or s in statuses)

    def mean(j_sum: int, j_count: int, keep) -> float | None:
        return _mean(total(j_sum, keep) / 1000, total(j_count, keep))

    board = [
        LeaderboardEntry(user_id, sums.slack_ids[user_id], n)
        for user_id, n in sums.closers.items()
        if n > 0
    ]
    return TimeBoundStats(
        since=since,
        until=until,
        new_tickets_total=count(),
        new_tickets_now_closed=count(CLOSED_STATUSES),
        new_tickets_still_open=count(OPEN_STATUSES),
        new_tickets_in_progress=count(IN_PROGRESS_STATUSES),
        closed_today=sums.closed,
        closed_today_from_today=sums.closed_from_today,
        assigned_today_in_progress=sums.assigned,
        helpers_leaderboard=sorted(board, key=lambda e: (-e.count, e.id)),
        mean_hang_time_minutes_unresolved=mean(2, 1, lambda s: s not in CLOSED_STATUSES),
        mean_hang_time_minutes_all=mean(2, 1, lambda s: True),
        mean_resolution_time_minutes=mean(4, 3, lambda s: s in CLOSED_STATUSES),
    )


async def window(
    actor: Actor | None, since: datetime, until: datetime, *, public: bool = False
) -> TimeBoundStats:
    return (await windows(actor, [(since, until)], public=public))[0]


# ---------------------------------------------------------------- stats_v2

_cache: dict[str, tuple[float, StatsV2]] = {}  # "stats_v2" → (monotonic time, answer)


async def stats_v2(
    actor: Actor | None, *, public: bool = False, cache_seconds: float = 0.0
) -> StatsV2:
    """All time, the last 24 hours and 7 days, and the 24 hours and 7 days before them.

    With `cache_seconds` > 0 an answer is reused for that long (per process).
    """
    reader(actor, public)
    cached = _cache.get("stats_v2")
    if cache_seconds > 0 and cached and time.monotonic() - cached[0] < cache_seconds:
        return cached[1]
    now = clock.now()
    day, previous_day, week, previous_week = await windows(
        actor,
        [
            (now - DAY, now),
            (now - 2 * DAY, now - DAY),
            (now - WEEK, now),
            (now - 2 * WEEK, now - WEEK),
        ],
        public=public,
    )
    answer = StatsV2(await overall(actor, public=public), day, previous_day, week, previous_week)
    if cache_seconds > 0:
        _cache["stats_v2"] = (time.monotonic(), answer)
    return answer


# ---------------------------------------------------------------- one helper


async def helper_stats(actor: Actor | None, slack_id: str, *, public: bool = False) -> HelperStats:
    """One user's numbers, found by Slack id (two statements)."""
    reader(actor, public)
    found = validation.storable(slack_id, validation.max_length(User, "slack_id"))
    user = await User.get_or_none(slack_id=slack_id) if found else None
    if user is None:
        raise NotFound(f"No user with Slack id {validation.shown(slack_id)}.")
    p = _Params()
    uid = user.id
    resolution = sql.seconds_between("created_at", "closed_at")
    row = (
        await sql.fetch(
            f"SELECT SUM(CASE WHEN opened_by_id = {p(uid)} THEN 1 ELSE 0 END) AS opened,"
            f" SUM(CASE WHEN closed_by_id = {p(uid)} AND (opened_by_id IS NULL"
            f" OR opened_by_id <> {p(uid)}) THEN 1 ELSE 0 END) AS closed,"
            f" SUM(CASE WHEN assigned_to_id = {p(uid)} THEN 1 ELSE 0 END) AS assigned,"
            f" SUM(CASE WHEN assigned_to_id = {p(uid)} AND status = 'in_progress'"
            " THEN 1 ELSE 0 END) AS in_progress,"
            f" AVG(CASE WHEN closed_by_id = {p(uid)} THEN {resolution} END) AS resolution"
            f" FROM tickets WHERE opened_by_id = {p(uid)} OR closed_by_id = {p(uid)}"
            f" OR assigned_to_id = {p(uid)}",
            p.values,
        )
    )[0]
    return HelperStats(
        id=uid,
        slack_id=user.slack_id,
        helper=user.is_staff,
        tickets_opened=int(row["opened"] or 0),
        tickets_closed=int(row["closed"] or 0),
        tickets_assigned=int(row["assigned"] or 0),
        tickets_assigned_in_progress=int(row["in_progress"] or 0),
        mean_resolution_time_minutes=_minutes(row["resolution"]),
    )
