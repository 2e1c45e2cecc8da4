"""Support-channel statistics (the nephthys `stats_v2` numbers), all computed by SQL aggregates.

All-time numbers come from running totals that triggers on `tickets` keep in the same
transaction as each change (migration 0003: `ticket_totals`, `closer_totals`); windows are
aggregated over the indexed rows they cover.

Statuses are read in nephthys' three groups: open (open, reopened), in progress, closed
(resolved, closed, duplicate). Hang time is created_at → first_response_at (the first public
staff reply), resolution time created_at → closed_at of tickets closed now, both in minutes.
Windows are half-open `[since, until)`. One `stats_v2` answer costs five statements, whatever
the number of tickets (docs/nephthys.md lists them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from models import CLOSED_STATUSES, Role, Status, User
from resolvers import clock, sql
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


def _slice(column: str, cuts: list[datetime], p: _Params, *, bounded: bool) -> str:
    """SQL numbering the slice [cuts[j], cuts[j+1]) that `column` falls in; -1 outside
    (`bounded`: the WHERE clause already keeps the column inside)."""
    outside = (
        ""
        if bounded
        else f"WHEN {column} IS NULL OR {column} < {p(cuts[0])} OR {column} >= {p(cuts[-1])}"
        " THEN -1 "
    )
    steps = " ".join(f"WHEN {column} < {p(cut)} THEN {j}" for j, cut in enumerate(cuts[1:-1]))
    last = str(len(cuts) - 2)
    return f"CASE {outside}{steps} ELSE {last} END" if outside or steps else last


async def windows(
    actor: Actor | None, ranges: list[tuple[datetime, datetime]], *, public: bool = False
) -> list[TimeBoundStats]:
    """TimeBoundStats for each `[since, until)` range: two statements for all of them.

    The range ends cut time into slices. One statement counts tickets per (creation slice,
    closing slice, status), closes per closing slice and in-progress assignments per
    assignment slice; each range then adds up the slices it covers.
    """
    reader(actor, public)
    ranges = [(_aware(since), _aware(until)) for since, until in ranges]
    for since, until in ranges:
        if since > until:
            raise Invalid("since", "since must not be later than until.")
    if not ranges:
        return []
    cuts = sorted({moment for window in ranges for moment in window})
    if len(cuts) == 1:
        cuts.append(cuts[0])  # only empty ranges: one empty slice
    p = _Params()
    hang = sql.seconds_between("created_at", "first_response_at")
    resolution = sql.seconds_between("created_at", "closed_at")
    # Listing every status lets an index led by status serve the created_at range.
    created = (
        f"SELECT 'created' AS kind, {_slice('created_at', cuts, p, bounded=True)} AS slice,"
        f" {_slice('closed_at', cuts, p, bounded=False)} AS closed_slice, status,"
        f" COUNT(*) AS n, COUNT(first_response_at) AS answered, SUM({hang}) AS hang,"
        f" COUNT(closed_at) AS closed, SUM({resolution}) AS resolution FROM tickets"
        f" WHERE status IN {ALL_SQL} AND created_at >= {p(cuts[0])}"
        f" AND created_at < {p(cuts[-1])} GROUP BY 2, 3, 4"
    )
    # closed_at is set exactly while a ticket is closed (reopening clears it)
    closed = (
        f"SELECT 'closed', {_slice('closed_at', cuts, p, bounded=True)}, NULL, NULL,"
        f" COUNT(*), 0, NULL, 0, NULL FROM tickets WHERE closed_at >= {p(cuts[0])}"
        f" AND closed_at < {p(cuts[-1])} GROUP BY 2"
    )
    assigned = (
        f"SELECT 'assigned', {_slice('assigned_at', cuts, p, bounded=True)}, NULL, NULL,"
        f" COUNT(*), 0, NULL, 0, NULL FROM tickets WHERE status = 'in_progress'"
        f" AND assigned_at >= {p(cuts[0])} AND assigned_at < {p(cuts[-1])} GROUP BY 2"
    )
    rows = await sql.fetch(f"{created} UNION ALL {closed} UNION ALL {assigned}", p.values)
    boards = await _leaderboards(ranges, cuts[0], cuts[-1])
    return [
        _window_from_slices(since, until, cuts, rows, board)
        for (since, until), board in zip(ranges, boards, strict=True)
    ]


def _window_from_slices(
    since: datetime,
    until: datetime,
    cuts: list[datetime],
    rows: list[dict[str, Any]],
    board: list[LeaderboardEntry],
) -> TimeBoundStats:
    covered = {j for j in range(len(cuts) - 1) if since <= cuts[j] and cuts[j + 1] <= until}
    mine = [r for r in rows if r["slice"] in covered]
    made = [r for r in mine if r["kind"] == "created"]

    def count(kind: str = "created", statuses: tuple[str, ...] | None = None) -> int:
        return sum(
            int(r["n"])
            for r in mine
            if r["kind"] == kind and (statuses is None or r["status"] in statuses)
        )

    def mean(key: str, count_key: str, keep) -> float | None:
        chosen = [r for r in made if keep(r["status"])]
        return _mean(
            sum(float(r[key] or 0) for r in chosen), sum(int(r[count_key]) for r in chosen)
        )

    return TimeBoundStats(
        since=since,
        until=until,
        new_tickets_total=count(),
        new_tickets_now_closed=count(statuses=CLOSED_STATUSES),
        new_tickets_still_open=count(statuses=OPEN_STATUSES),
        new_tickets_in_progress=count(statuses=IN_PROGRESS_STATUSES),
        closed_today=count("closed"),
        closed_today_from_today=sum(
            int(r["n"])
            for r in made
            if r["status"] in CLOSED_STATUSES and r["closed_slice"] in covered
        ),
        assigned_today_in_progress=count("assigned"),
        helpers_leaderboard=board,
        mean_hang_time_minutes_unresolved=mean(
            "hang", "answered", lambda s: s not in CLOSED_STATUSES
        ),
        mean_hang_time_minutes_all=mean("hang", "answered", lambda s: True),
        mean_resolution_time_minutes=mean("resolution", "closed", lambda s: s in CLOSED_STATUSES),
    )


async def _leaderboards(
    ranges: list[tuple[datetime, datetime]], lowest: datetime, highest: datetime
) -> list[list[LeaderboardEntry]]:
    """Closes per staff user in each range, counted by one GROUP BY."""
    p = _Params()
    counts = [
        f"SUM(CASE WHEN t.closed_at >= {p(s)} AND t.closed_at < {p(u)} THEN 1 ELSE 0 END) AS c{i}"
        for i, (s, u) in enumerate(ranges)
    ]
    rows = await sql.fetch(
        f"SELECT u.id AS id, u.slack_id AS slack_id, {', '.join(counts)}"
        " FROM tickets t JOIN users u ON u.id = t.closed_by_id"
        f" WHERE u.role IN {STAFF_SQL} AND t.closed_at >= {p(lowest)}"
        f" AND t.closed_at < {p(highest)} GROUP BY u.id, u.slack_id",
        p.values,
    )
    boards = []
    for i in range(len(ranges)):
        entries = [LeaderboardEntry(r["id"], r["slack_id"], int(r[f"c{i}"])) for r in rows]
        entries = [e for e in entries if e.count > 0]
        boards.append(sorted(entries, key=lambda e: (-e.count, e.id)))
    return boards


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
    user = None if "\x00" in slack_id else await User.get_or_none(slack_id=slack_id)
    if user is None:
        raise NotFound(f"No user with Slack id {slack_id}.")
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
