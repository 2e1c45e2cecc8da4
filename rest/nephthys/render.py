"""nephthys' JSON: stats blocks and the ticket object."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

import orjson

from models import CLOSED_STATUSES, Status
from resolvers import stats
from settings import Settings

# nephthys' three statuses ⇄ the canonical ones (DESIGN.md)
STATUS_NAMES: dict[Status, str] = {
    **{s: "open" for s in stats.OPEN_STATUSES},
    Status.IN_PROGRESS: "in_progress",
    **{s: "closed" for s in CLOSED_STATUSES},
}


# Where the reference types a Slack identity `string`, people and tickets that never came from
# Slack answer "" (docs/nephthys.md), never null.
def _person(person: dict[str, Any] | None) -> dict[str, Any] | None:
    if person is None or person["slack_id"] is not None:
        return person
    return {**person, "slack_id": ""}


def _with_leaderboard(body: dict[str, Any]) -> dict[str, Any]:
    body["helpers_leaderboard"] = [_person(e) for e in body["helpers_leaderboard"]]
    return body


def overall(settings: Settings, found: stats.OverallStats, base_url: str) -> dict[str, Any]:
    """`base_url`: PUBLIC_BASE_URL, else the request's own (rest/origin.py)."""
    body = _with_leaderboard(asdict(found))
    oldest = found.oldest_unanswered_ticket
    if oldest is not None:
        body["oldest_unanswered_ticket"] = {
            "id": oldest.id,
            "created_at": oldest.created_at.isoformat(),
            "age_minutes": oldest.age_minutes,
            "link": settings.nephthys_link_template.format(
                base_url=base_url,
                id=oldest.id,
                message_ts=oldest.message_ts or "",
            ),
        }
    return body


def period(found: stats.TimeBoundStats) -> dict[str, Any]:
    """A time-bound stats block without its bounds."""
    body = _with_leaderboard(asdict(found))
    del body["since"], body["until"]
    return body


def top3(entries: list[stats.LeaderboardEntry]) -> list[dict[str, Any]]:
    return [
        {"user_id": e.id, "slack_id": e.slack_id or "", "closed_ticket_count": e.count}
        for e in entries[:3]
    ]


def stats_v1(found: stats.OverallStats, day: stats.TimeBoundStats) -> dict[str, Any]:
    """The first stats route's shape (top 3 helpers, last 24 hours)."""
    return {
        "total_tickets": found.tickets_total,
        "total_open": found.tickets_open,
        "total_in_progress": found.tickets_in_progress,
        "total_closed": found.tickets_closed,
        "total_top_3_users_with_closed_tickets": top3(found.helpers_leaderboard),
        "average_hang_time_minutes": found.mean_hang_time_minutes_unresolved,
        "prev_day_total": day.new_tickets_total,
        "prev_day_open": day.new_tickets_still_open,
        "prev_day_in_progress": day.new_tickets_in_progress,
        "prev_day_closed": day.new_tickets_now_closed,
        "prev_day_top_3_users_with_closed_tickets": top3(day.helpers_leaderboard),
        "prev_day_average_hang_time_minutes": day.mean_hang_time_minutes_unresolved,
    }


def ticket(row: dict[str, Any]) -> dict[str, Any]:
    """The ticket object: the documented fields plus `closed_at` (and users' `username` for
    signed-in readers)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "status": STATUS_NAMES[row["status"]],  # a StrEnum: its value finds it
        "opened_by": _person(row["opened_by"]),
        "closed_by": _person(row["closed_by"]),
        "assigned_to": _person(row["assigned_to"]),
        "reopened_by": _person(row["reopened_by"]),
        "tags": row["tags"],
        "created_at": row["created_at"],  # orjson writes datetimes as isoformat() does
        "closed_at": row["closed_at"],
        "message_ts": row["message_ts"] or "",
    }


async def json_array(chunks: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    """A JSON array of tickets written one chunk of rows at a time."""
    separator = b"["
    async for chunk in chunks:
        yield separator + orjson.dumps([ticket(row) for row in chunk])[1:-1]
        separator = b","
    yield b"[]" if separator == b"[" else b"]"
