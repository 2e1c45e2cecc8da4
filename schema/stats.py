"""Support statistics in GraphQL: `stats { allTime { … } window(since, until) { … } }`.

The same numbers as the nephthys `/api/stats_v2` (resolvers/stats.py); any signed-in user.
The roots are the domain's dataclasses; fields named differently here have resolvers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import clock, stats
from schema.context import actor


@strawberry.type(description="A helper and how many tickets they closed.")
class LeaderboardEntry:
    slack_id: str | None = strawberry.field(description="Their Slack member id.")
    count: int = strawberry.field(description="Tickets this helper closed.")

    @strawberry.field(description="The helper's database id.")
    def user_id(self) -> int:
        return self.id


@strawberry.type(description="The open ticket waiting longest for a first answer.")
class OldestUnansweredTicket:
    created_at: datetime = strawberry.field(description="When it was opened.")
    age_minutes: float = strawberry.field(description="Minutes since then.")
    message_ts: str | None = strawberry.field(description="Its Slack message, if any.")

    @strawberry.field(description="Its number.")
    def ticket_id(self) -> int:
        return self.id


@strawberry.type(description="Numbers over every ticket.")
class OverallStats:
    tickets_total: int = strawberry.field(description="Every ticket.")
    tickets_open: int = strawberry.field(description="Open ones.")
    tickets_closed: int = strawberry.field(description="Closed ones.")
    tickets_in_progress: int = strawberry.field(description="Ones in progress.")
    helpers_leaderboard: list[LeaderboardEntry] = strawberry.field(description="Who closed most.")
    mean_hang_time_minutes_unresolved: float | None = strawberry.field(
        description="Mean minutes to a first answer, over unresolved tickets."
    )
    mean_hang_time_minutes_all: float | None = strawberry.field(
        description="Mean minutes to a first answer, over every answered ticket."
    )
    mean_resolution_time_minutes: float | None = strawberry.field(
        description="Mean minutes from opening to closing."
    )
    oldest_unanswered_ticket: OldestUnansweredTicket | None = strawberry.field(
        description="The open ticket waiting longest for a first answer."
    )


@strawberry.type(description="Numbers for tickets in the half-open range [since, until).")
class TimeBoundStats:
    since: datetime = strawberry.field(description="Start of the range (included).")
    until: datetime = strawberry.field(description="End of the range (excluded).")
    new_tickets_total: int = strawberry.field(description="Tickets opened in the range.")
    new_tickets_now_closed: int = strawberry.field(description="Of those, closed now.")
    new_tickets_still_open: int = strawberry.field(description="Of those, still open.")
    new_tickets_in_progress: int = strawberry.field(description="Of those, in progress.")
    closed_today: int = strawberry.field(description="Tickets closed in the range.")
    closed_today_from_today: int = strawberry.field(
        description="Tickets opened and closed in the range."
    )
    assigned_today_in_progress: int = strawberry.field(
        description="Tickets assigned in the range and in progress."
    )
    helpers_leaderboard: list[LeaderboardEntry] = strawberry.field(
        description="Who closed most in the range."
    )
    mean_hang_time_minutes_unresolved: float | None = strawberry.field(
        description="Mean minutes to a first answer, over unresolved new tickets."
    )
    mean_hang_time_minutes_all: float | None = strawberry.field(
        description="Mean minutes to a first answer, over answered new tickets."
    )
    mean_resolution_time_minutes: float | None = strawberry.field(
        description="Mean minutes from opening to closing, over new tickets."
    )


@strawberry.type(description="Support statistics.")
class Stats:
    @strawberry.field(description="All tickets, counted by their current status.")
    async def all_time(self, info: Info) -> OverallStats:
        return await stats.overall(actor(info))

    @strawberry.field(description="Tickets in [since, until); `until` defaults to now.")
    async def window(
        self,
        info: Info,
        since: Annotated[datetime, strawberry.argument(description="Start (included).")],
        until: Annotated[
            datetime | None, strawberry.argument(description="End (excluded); default: now.")
        ] = None,
    ) -> TimeBoundStats:
        return await stats.window(actor(info), since, until or clock.now())


@strawberry.type
class StatsQueries:
    @strawberry.field(description="Support statistics (the nephthys stats_v2 numbers).")
    def stats(self) -> Stats:
        return Stats()
