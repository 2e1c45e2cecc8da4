"""The per-slot totals of migration 0004 always equal a full recount, and windows read from them
(whole slots plus the edges) equal a window counted ticket by ticket, after every kind of
change: domain writes, bulk inserts, raw updates and raw deletes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from models import CLOSED_STATUSES, Status, Ticket
from resolvers import clock, comments, seed, sql, stats, tickets
from resolvers.permissions import SYSTEM
from tests.helpers import make_user

NOW = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)  # 90 minutes from the nearest slot boundary
D, H = timedelta(days=1), timedelta(hours=1)


def _slot(column: str) -> str:
    """The slot of a datetime column, written independently of the migration's expression."""
    if sql.is_postgres():
        return f"FLOOR(EXTRACT(EPOCH FROM {column}) / 21600)::BIGINT"
    return f"CAST((julianday({column}) - 2440587.5) * 4 AS INTEGER)"  # tickets after 1970


def _ms(column: str, table: str = "") -> str:
    return stats._milliseconds(f"{table}created_at", column)


def recounts() -> dict[str, tuple[str, str]]:
    """Per table: a full recount from the tickets, and the stored rows."""
    return {
        "ticket_slots": (
            f"SELECT {_slot('created_at')} AS slot, status, COUNT(*) AS tickets,"
            " COUNT(first_response_at) AS answered,"
            f" COALESCE(SUM({_ms('first_response_at')}), 0) AS hang_ms,"
            f" COUNT(closed_at) AS closed, COALESCE(SUM({_ms('closed_at')}), 0) AS resolution_ms"
            " FROM tickets GROUP BY 1, 2",
            "SELECT slot, status, tickets, answered, hang_ms, closed, resolution_ms"
            " FROM ticket_slots",
        ),
        "closer_slots": (
            f"SELECT {_slot('closed_at')} AS slot, COALESCE(closed_by_id, 0) AS closed_by_id,"
            " COUNT(*) AS tickets FROM tickets WHERE closed_at IS NOT NULL GROUP BY 1, 2",
            "SELECT slot, closed_by_id, tickets FROM closer_slots",
        ),
        "closed_created_slots": (
            f"SELECT {_slot('closed_at')} AS slot, {_slot('created_at')} AS created_slot,"
            " COUNT(*) AS tickets FROM tickets WHERE closed_at IS NOT NULL"
            f" AND status IN {stats.CLOSED_SQL} GROUP BY 1, 2",
            "SELECT slot, created_slot, tickets FROM closed_created_slots",
        ),
        "assigned_slots": (
            f"SELECT {_slot('assigned_at')} AS slot, COUNT(*) AS tickets FROM tickets"
            " WHERE assigned_at IS NOT NULL AND status = 'in_progress' GROUP BY 1",
            "SELECT slot, tickets FROM assigned_slots",
        ),
    }


def _plain(row: dict) -> tuple:
    """Slots, numbers as int (PostgreSQL sums are Decimal)."""
    return tuple(int(v) if isinstance(v, int | Decimal) else str(v) for v in row.values())


async def assert_slots_match() -> None:
    for table, (recount, stored) in recounts().items():
        expected = [_plain(r) for r in await sql.fetch(recount, [])]
        # rows whose every count went back to zero are kept by the triggers; a recount has none
        kept = [
            _plain(r)
            for r in await sql.fetch(stored, [])
            if any(int(r[k]) for k in ("tickets", "answered", "hang_ms") if k in r)
        ]
        assert sorted(kept) == sorted(expected), table


async def counted_one_by_one(since: datetime, until: datetime) -> stats.TimeBoundStats:
    """A window counted from every ticket in Python (durations in SQL, as the stats do)."""
    rows = await sql.fetch(
        "SELECT t.status, t.created_at, t.closed_at, t.assigned_at, t.first_response_at,"
        f" u.id AS closer, u.slack_id, {_ms('t.first_response_at', 't.')} AS hang,"
        f" {_ms('t.closed_at', 't.')} AS resolution FROM tickets t LEFT JOIN users u"
        f" ON u.id = t.closed_by_id AND u.role IN {stats.STAFF_SQL}",
        [],
    )

    def inside(value) -> bool:
        return value is not None and since <= sql.to_datetime(value) < until

    made = [r for r in rows if inside(r["created_at"])]
    closes = [r for r in rows if inside(r["closed_at"])]

    def mean(key: str, keep) -> float | None:
        chosen = [r[key] for r in made if keep(r["status"]) and r[key] is not None]
        return stats._mean(sum(chosen) / 1000, len(chosen))

    board: dict[int, int] = {}
    slack: dict[int, str | None] = {}
    for r in closes:
        if r["closer"] is not None:
            board[r["closer"]] = board.get(r["closer"], 0) + 1
            slack[r["closer"]] = r["slack_id"]
    closed = set(CLOSED_STATUSES)
    return stats.TimeBoundStats(
        since=since,
        until=until,
        new_tickets_total=len(made),
        new_tickets_now_closed=sum(r["status"] in closed for r in made),
        new_tickets_still_open=sum(r["status"] in stats.OPEN_STATUSES for r in made),
        new_tickets_in_progress=sum(r["status"] == Status.IN_PROGRESS for r in made),
        closed_today=len(closes),
        closed_today_from_today=sum(r["status"] in closed and inside(r["closed_at"]) for r in made),
        assigned_today_in_progress=sum(
            r["status"] == Status.IN_PROGRESS and inside(r["assigned_at"]) for r in rows
        ),
        helpers_leaderboard=sorted(
            (stats.LeaderboardEntry(i, slack[i], n) for i, n in board.items()),
            key=lambda e: (-e.count, e.id),
        ),
        mean_hang_time_minutes_unresolved=mean("hang", lambda s: s not in closed),
        mean_hang_time_minutes_all=mean("hang", lambda s: True),
        mean_resolution_time_minutes=mean("resolution", lambda s: s in closed),
    )


def _ranges(rng: random.Random) -> list[tuple[datetime, datetime]]:
    """stats_v2's windows, and others with ends at midnight, near it, at noon and anywhere."""
    fixed = [
        (NOW - D, NOW),
        (NOW - 2 * D, NOW - D),
        (NOW - 7 * D, NOW),
        (NOW - 14 * D, NOW - 7 * D),
        (datetime(1970, 1, 1, tzinfo=UTC), NOW),
        (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)),
        (datetime(2026, 3, 5, 11, 59, tzinfo=UTC), datetime(2026, 3, 5, 12, 1, tzinfo=UTC)),
        (datetime(2026, 3, 5, 23, 0, tzinfo=UTC), datetime(2026, 3, 6, 1, 0, tzinfo=UTC)),
        (NOW - 3 * H, NOW - 3 * H),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
        (NOW.astimezone(timezone(timedelta(hours=5))) - 3 * D, NOW + 2 * D),
    ]
    start = NOW - 16 * D
    anywhere = []
    for _ in range(6):
        a, b = sorted(start + rng.random() * 18 * D for _ in range(2))
        anywhere.append((a, b))
    return fixed + anywhere


async def assert_windows_match(rng: random.Random) -> None:
    await assert_slots_match()
    ranges = _ranges(rng)
    answers = await stats.windows(SYSTEM, ranges)
    for (since, until), answer in zip(ranges, answers, strict=True):
        assert answer == await counted_one_by_one(since, until), (since, until)


async def _bulk(rng: random.Random, people: list, count: int) -> None:
    """`count` tickets written directly (no domain code), timestamps all around the windows."""
    rows = []
    for n in range(count):
        created = NOW - 16 * D + timedelta(seconds=rng.randrange(17 * 86400))
        status = rng.choice(list(Status))

        def later(created=created):
            return created + timedelta(seconds=rng.randrange(4 * 86400))

        closed_at = later() if status in CLOSED_STATUSES or rng.random() < 0.05 else None
        rows.append(
            Ticket(
                title=f"bulk {n}",
                description="",
                status=status,
                opened_by=rng.choice(people),
                closed_by=rng.choice([*people, None]) if closed_at else None,
                created_at=created,
                updated_at=created,
                first_response_at=later() if rng.random() < 0.6 else None,
                closed_at=closed_at,
                assigned_at=later() if rng.random() < 0.5 else None,
            )
        )
    await Ticket.bulk_create(rows)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


async def test_slot_totals_follow_every_kind_of_change(frozen, admin, agent, customer):
    rng = random.Random(4)
    helper = await make_user("helper9", "agent", slack_id="UHELP9")
    people = [admin, agent, customer, helper]
    await _bulk(rng, people, 150)
    await assert_windows_match(rng)

    # domain writes: create, answer, assign, close, reopen, delete
    made = await tickets.create_ticket(customer, title="domain")
    await comments.add_comment(agent, made.id, "first response")
    await tickets.update_ticket(agent, made.id, assigned_to_id=agent.id, status="in_progress")
    await tickets.set_status(agent, made.id, "closed")
    await tickets.set_status(customer, made.id, "open")
    await tickets.set_status(helper, made.id, "resolved")
    await tickets.delete_ticket(agent, (await Ticket.filter(title="bulk 3").first()).id)
    await assert_windows_match(rng)

    # raw updates of every watched column, one row and many at once
    ids = [t for (t,) in await Ticket.all().order_by("id").values_list("id")]
    await Ticket.filter(id__in=ids[:20]).update(status=Status.IN_PROGRESS)
    await Ticket.filter(id__in=ids[20:40]).update(closed_at=None)
    await Ticket.filter(id__in=ids[40:50]).update(
        created_at=NOW - 2 * D - 30 * timedelta(minutes=1)
    )
    await Ticket.filter(id__in=ids[50:60]).update(assigned_at=NOW - 6 * H, closed_by_id=helper.id)
    await Ticket.filter(id__in=ids[60:70]).update(
        first_response_at=NOW - D + H, status=Status.CLOSED
    )
    await Ticket.filter(id=ids[70]).update(title="not watched")
    await assert_windows_match(rng)

    # raw deletes; a staff member becomes a customer (leaves the leaderboards)
    await Ticket.filter(id__in=ids[80:120]).delete()
    await sql.execute_script(f"UPDATE users SET role = 'customer' WHERE id = {helper.id}")
    await assert_windows_match(rng)


async def test_slot_totals_after_the_bulk_seed(frozen):
    """`seed --tickets` writes raw multi-row INSERTs over the past year."""
    assert await seed.bulk_tickets(500) == 500
    await assert_windows_match(random.Random(7))
