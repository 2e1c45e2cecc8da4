"""Support statistics in GraphQL: `stats { allTime { … } window(since, until) { … } }`.

The same numbers as the nephthys `/api/stats_v2` (resolvers/stats.py); any signed-in user.
The roots are the domain's dataclasses; fields named differently here have resolvers.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import clock, stats
from schema.context import actor


@strawberry.type
class LeaderboardEntry:
    slack_id: str | None
    count: int = strawberry.field(description="Tickets this helper closed.")

    @strawberry.field(description="The helper's database id.")
    def user_id(self) -> int:
        return self.id


@strawberry.type
class OldestUnansweredTicket:
    created_at: datetime
    age_minutes: float
    message_ts: str | None

    @strawberry.field
    def ticket_id(self) -> int:
        return self.id


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


@strawberry.type
class Stats:
    @strawberry.field(description="All tickets, counted by their current status.")
    async def all_time(self, info: Info) -> OverallStats:
        return await stats.overall(actor(info))

    @strawberry.field(description="Tickets in [since, until); `until` defaults to now.")
    async def window(
        self, info: Info, since: datetime, until: datetime | None = None
    ) -> TimeBoundStats:
        return await stats.window(actor(info), since, until or clock.now())


@strawberry.type
class StatsQueries:
    @strawberry.field(description="Support statistics (the nephthys stats_v2 numbers).")
    def stats(self) -> Stats:
        return Stats()
