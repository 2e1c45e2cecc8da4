"""Support statistics in GraphQL: `stats { allTime { … } window(since, until) { … } }`.

The same numbers as the nephthys `/api/stats_v2` (resolvers/stats.py); any signed-in user.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import clock, stats
from schema.context import actor


@strawberry.type
class LeaderboardEntry:
    user_id: int = strawberry.field(description="The helper's database id.")
    slack_id: str | None
    count: int = strawberry.field(description="Tickets this helper closed.")


@strawberry.type
class OldestUnansweredTicket:
    ticket_id: int
    created_at: datetime
    age_minutes: float
    message_ts: str | None


@strawberry.type
class OverallStats:
    tickets_total: int
    tickets_open: int
    tickets_closed: int
    tickets_in_progress: int
    helpers_leaderboard: list[LeaderboardEntry]
    mean_hang_time_minutes_unresolved: float | None
    mean_hang_time_minutes_all: float | None
    mean_resolution_time_minutes: float | None
    oldest_unanswered_ticket: OldestUnansweredTicket | None


@strawberry.type(description="Numbers for tickets in the half-open range [since, until).")
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


def _board(entries: list[stats.LeaderboardEntry]) -> list[LeaderboardEntry]:
    return [LeaderboardEntry(user_id=e.id, slack_id=e.slack_id, count=e.count) for e in entries]


def _overall(found: stats.OverallStats) -> OverallStats:
    oldest = found.oldest_unanswered_ticket
    return OverallStats(
        **{
            name: getattr(found, name)
            for name in OverallStats.__annotations__
            if name not in ("helpers_leaderboard", "oldest_unanswered_ticket")
        },
        helpers_leaderboard=_board(found.helpers_leaderboard),
        oldest_unanswered_ticket=None
        if oldest is None
        else OldestUnansweredTicket(
            ticket_id=oldest.id,
            created_at=oldest.created_at,
            age_minutes=oldest.age_minutes,
            message_ts=oldest.message_ts,
        ),
    )


def _window(found: stats.TimeBoundStats) -> TimeBoundStats:
    return TimeBoundStats(
        **{
            name: getattr(found, name)
            for name in TimeBoundStats.__annotations__
            if name != "helpers_leaderboard"
        },
        helpers_leaderboard=_board(found.helpers_leaderboard),
    )


@strawberry.type
class Stats:
    @strawberry.field(description="All tickets, counted by their current status.")
    async def all_time(self, info: Info) -> OverallStats:
        return _overall(await stats.overall(actor(info)))

    @strawberry.field(description="Tickets in [since, until); `until` defaults to now.")
    async def window(
        self, info: Info, since: datetime, until: datetime | None = None
    ) -> TimeBoundStats:
        return _window(await stats.window(actor(info), since, until or clock.now()))


@strawberry.type
class StatsQueries:
    @strawberry.field(description="Support statistics (the nephthys stats_v2 numbers).")
    def stats(self) -> Stats:
        return Stats()
