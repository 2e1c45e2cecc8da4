"""The nephthys dialect: a support-channel bot's read-only API, mounted at `/api`.

`/stats_v2`, `/tickets`, `/ticket`, plus `/stats` (v1 numbers), `/stats/range` and `/user`.
Every route needs a valid credential unless `NEPHTHYS_PUBLIC=true` admits anonymous readers
(who then see only public queues' tickets, as resolvers/feed.py decides). See docs/nephthys.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from models import CLOSED_STATUSES, Status
from resolvers import clock, feed, stats
from resolvers.errors import DomainError, NotFound, Unauthenticated
from resolvers.permissions import Actor
from resolvers.validation import MAX_ID
from rest.common import HTTP_METHODS, JSONResponse, caller, status_for, utc_datetime

# nephthys' three statuses ⇄ the canonical ones (DESIGN.md)
STATUS_NAMES: dict[Status, str] = {
    **{s: "open" for s in stats.OPEN_STATUSES},
    Status.IN_PROGRESS: "in_progress",
    **{s: "closed" for s in CLOSED_STATUSES},
}
STATUS_FILTERS: dict[str, tuple[Status, ...]] = {
    "open": stats.OPEN_STATUSES,
    "in_progress": stats.IN_PROGRESS_STATUSES,
    "closed": CLOSED_STATUSES,
}
TOO_BROAD = {
    "error": "Provided filters are too broad",
    "tip": "Please provide a ?since= or ?until= parameter, "
    "or filter by ?status=open or ?status=in_progress",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def error_response(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status)


class _Refusal(Exception):
    """An answer in nephthys' own words (the body is sent as is)."""

    def __init__(self, status: int, body: dict[str, str]) -> None:
        super().__init__(body)
        self.status, self.body = status, body


Handler = Callable[[Request, Actor | None, bool], Awaitable[Response]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Check access and render refusals and domain errors: a credential, when sent, must be
    valid; none is needed only when the door is public (`NEPHTHYS_PUBLIC`)."""

    async def run(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return JSONResponse({"error": "method_not_allowed"}, 405, {"Allow": "GET, HEAD"})
        public = request.app.state.settings.nephthys_public
        try:
            actor = await caller(request)  # a credential sent is checked, even on a public door
            if not public and actor is None:
                raise Unauthenticated("unauthorized")
            return await handler(request, actor, public)
        except _Refusal as refusal:
            return JSONResponse(refusal.body, refusal.status)
        except Unauthenticated:
            return error_response(401, "unauthorized")
        except DomainError as exc:
            return error_response(status_for(exc), exc.message)

    return run


# ---------------------------------------------------------------- parameters


def _param(request: Request, *names: str) -> str | None:
    """The first non-empty of several alias parameters (`since` or else `after`)."""
    for name in names:
        if value := request.query_params.get(name):
            return value
    return None


def _datetime(value: str | None, label: str) -> datetime | None:
    if value is None:
        return None
    parsed = utc_datetime(value)
    if parsed is None:
        raise _Refusal(400, {"error": f"{label} parameter is not a valid ISO datetime: {value}"})
    return parsed


def _range(request: Request) -> tuple[datetime | None, datetime | None]:
    since = _datetime(_param(request, "since", "after"), "created_after")
    until = _datetime(_param(request, "until", "before"), "created_before")
    return since, until


# ---------------------------------------------------------------- rendering


def _overall(request: Request, overall: stats.OverallStats) -> dict[str, Any]:
    body = asdict(overall)
    oldest = overall.oldest_unanswered_ticket
    if oldest is not None:
        settings = request.app.state.settings
        body["oldest_unanswered_ticket"] = {
            "id": oldest.id,
            "created_at": oldest.created_at.isoformat(),
            "age_minutes": oldest.age_minutes,
            "link": settings.nephthys_link_template.format(
                base_url=str(request.base_url).rstrip("/"),
                id=oldest.id,
                message_ts=oldest.message_ts or "",
            ),
        }
    return body


def _window(window: stats.TimeBoundStats) -> dict[str, Any]:
    body = asdict(window)
    del body["since"], body["until"]
    return body


def _ticket(row: dict[str, Any]) -> dict[str, Any]:
    """The ticket object: the documented fields plus `closed_at` (and users' `username` for
    signed-in readers)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "status": STATUS_NAMES[row["status"]],  # a StrEnum: its value finds it
        "opened_by": row["opened_by"],
        "closed_by": row["closed_by"],
        "assigned_to": row["assigned_to"],
        "reopened_by": row["reopened_by"],
        "tags": row["tags"],
        "created_at": row["created_at"],  # orjson writes datetimes as isoformat() does
        "closed_at": row["closed_at"],
        "message_ts": row["message_ts"],
    }


# ---------------------------------------------------------------- handlers


@endpoint
async def stats_v2(request: Request, actor: Actor | None, public: bool) -> Response:
    settings = request.app.state.settings
    answer = await stats.stats_v2(actor, public=public, cache_seconds=settings.stats_cache_seconds)
    return JSONResponse(
        {
            "all_time": _overall(request, answer.all_time),
            "past_24h": _window(answer.past_24h),
            "past_24h_previous": _window(answer.past_24h_previous),
            "past_7d": _window(answer.past_7d),
            "past_7d_previous": _window(answer.past_7d_previous),
        }
    )


@endpoint
async def stats_v1(request: Request, actor: Actor | None, public: bool) -> Response:
    """The first stats route's shape, from the same numbers (top 3 helpers, last 24 hours)."""
    overall = await stats.overall(actor, public=public)
    now = clock.now()
    day = await stats.window(actor, now - stats.DAY, now, public=public)

    def top3(entries: list[stats.LeaderboardEntry]) -> list[dict[str, Any]]:
        return [
            {"user_id": e.id, "slack_id": e.slack_id, "closed_ticket_count": e.count}
            for e in entries[:3]
        ]

    return JSONResponse(
        {
            "total_tickets": overall.tickets_total,
            "total_open": overall.tickets_open,
            "total_in_progress": overall.tickets_in_progress,
            "total_closed": overall.tickets_closed,
            "total_top_3_users_with_closed_tickets": top3(overall.helpers_leaderboard),
            "average_hang_time_minutes": overall.mean_hang_time_minutes_unresolved,
            "prev_day_total": day.new_tickets_total,
            "prev_day_open": day.new_tickets_still_open,
            "prev_day_in_progress": day.new_tickets_in_progress,
            "prev_day_closed": day.new_tickets_now_closed,
            "prev_day_top_3_users_with_closed_tickets": top3(day.helpers_leaderboard),
            "prev_day_average_hang_time_minutes": day.mean_hang_time_minutes_unresolved,
        }
    )


@endpoint
async def stats_range(request: Request, actor: Actor | None, public: bool) -> Response:
    since, until = _range(request)
    since, until = since or EPOCH, until or clock.now()
    window = await stats.window(actor, since, until, public=public)
    return JSONResponse(
        {"stats": _window(window), "since": since.isoformat(), "until": until.isoformat()}
    )


@endpoint
async def tickets_list(request: Request, actor: Actor | None, public: bool) -> Response:
    status = request.query_params.get("status")
    statuses: tuple[Status, ...] = ()
    if status:
        if status.lower() not in STATUS_FILTERS:
            raise _Refusal(400, {"error": f"Invalid status parameter: {status}"})
        statuses = STATUS_FILTERS[status.lower()]
    since, until = _range(request)
    if since is None and until is None and (not status or status.lower() == "closed"):
        raise _Refusal(400, TOO_BROAD)
    filt = feed.FeedFilter(statuses=statuses, created_after=since, created_before=until)
    limit = feed.MAX_TICKETS
    truncated = await feed.exceeds_limit(actor, filt, public=public, limit=limit)
    chunks = feed.ticket_rows(actor, filt, public=public, limit=limit)
    headers = {"X-Max-Tickets": str(limit)}
    if truncated:
        headers["X-Truncated"] = "true"
    return StreamingResponse(_json_array(chunks), media_type="application/json", headers=headers)


async def _json_array(chunks: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    """A JSON array written one chunk of rows at a time."""
    separator = b"["
    async for chunk in chunks:
        yield separator + orjson.dumps([_ticket(row) for row in chunk])[1:-1]
        separator = b","
    yield b"[]" if separator == b"[" else b"]"


@endpoint
async def ticket_detail(request: Request, actor: Actor | None, public: bool) -> Response:
    raw = request.query_params.get("id")
    if raw is None:
        raise _Refusal(400, {"error": "missing_ticket_id"})
    try:
        ticket_id = int(raw)
    except ValueError:
        raise _Refusal(400, {"error": "invalid_ticket_id"}) from None
    if not 0 < ticket_id <= MAX_ID:
        raise _Refusal(404, {"error": "ticket_not_found"})
    try:
        row = await feed.one_ticket(actor, ticket_id, public=public)
    except NotFound:
        raise _Refusal(404, {"error": "ticket_not_found"}) from None
    return JSONResponse(_ticket(row))


@endpoint
async def user_stats(request: Request, actor: Actor | None, public: bool) -> Response:
    slack_id = request.query_params.get("id")
    if not slack_id:
        raise _Refusal(400, {"error": "missing_user_id"})
    try:
        helper = await stats.helper_stats(actor, slack_id, public=public)
    except NotFound:
        raise _Refusal(404, {"error": "user_not_found"}) from None
    return JSONResponse(asdict(helper))


async def not_found(request: Request) -> Response:
    return error_response(404, "not_found")


# Every method reaches the handlers: `endpoint` answers all but GET with nephthys' 405.
routes = [
    Route("/stats_v2", stats_v2, methods=HTTP_METHODS),
    Route("/stats", stats_v1, methods=HTTP_METHODS),
    Route("/stats/range", stats_range, methods=HTTP_METHODS),
    Route("/tickets", tickets_list, methods=HTTP_METHODS),
    Route("/ticket", ticket_detail, methods=HTTP_METHODS),
    Route("/user", user_stats, methods=HTTP_METHODS),
    Route("/{path:path}", not_found, methods=HTTP_METHODS),
]
