"""nephthys' operations: read-only, GET (and HEAD) only. Every route needs a valid credential
unless `NEPHTHYS_PUBLIC=true` admits anonymous readers (who then see only public queues'
tickets, as resolvers/feed.py decides)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from resolvers import clock, feed, stats
from resolvers.errors import NotFound, Unauthenticated
from resolvers.permissions import Actor
from rest.kit import openapi
from rest.kit.http import JSONResponse
from rest.kit.operation import Operation
from rest.nephthys import parse, render
from rest.nephthys.errors import refuse

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _public(request: Request) -> bool:
    return request.app.state.settings.nephthys_public


def reader(request: Request, actor: Actor | None) -> Actor | None:
    """A credential sent must be valid (the mount checks it); none is needed only when the
    door is public."""
    if actor is None and not _public(request):
        raise Unauthenticated("unauthorized")
    return actor


async def stats_v2(request: Request, actor: Actor | None, data: dict) -> Response:
    settings = request.app.state.settings
    answer = await stats.stats_v2(
        actor, public=_public(request), cache_seconds=settings.stats_cache_seconds
    )
    return JSONResponse(
        {
            "all_time": render.overall(
                settings, answer.all_time, str(request.base_url).rstrip("/")
            ),
            "past_24h": render.period(answer.past_24h),
            "past_24h_previous": render.period(answer.past_24h_previous),
            "past_7d": render.period(answer.past_7d),
            "past_7d_previous": render.period(answer.past_7d_previous),
        }
    )


async def stats_v1(request: Request, actor: Actor | None, data: dict) -> Response:
    public = _public(request)
    overall = await stats.overall(actor, public=public)
    now = clock.now()
    day = await stats.window(actor, now - stats.DAY, now, public=public)
    return JSONResponse(render.stats_v1(overall, day))


async def stats_range(request: Request, actor: Actor | None, data: dict) -> Response:
    since, until = parse.time_range(request)
    since, until = since or EPOCH, until or clock.now()
    found = await stats.window(actor, since, until, public=_public(request))
    return JSONResponse(
        {"stats": render.period(found), "since": since.isoformat(), "until": until.isoformat()}
    )


async def tickets_list(request: Request, actor: Actor | None, data: dict) -> Response:
    statuses = parse.statuses(request)
    since, until = parse.time_range(request)
    if since is None and until is None and statuses in (None, parse.STATUS_FILTERS["closed"]):
        raise refuse(400, parse.TOO_BROAD)
    filt = feed.FeedFilter(statuses=statuses or (), created_after=since, created_before=until)
    public, limit = _public(request), feed.MAX_TICKETS
    truncated = await feed.exceeds_limit(actor, filt, public=public, limit=limit)
    chunks = feed.ticket_rows(actor, filt, public=public, limit=limit)
    headers = {"X-Max-Tickets": str(limit)}
    if truncated:
        headers["X-Truncated"] = "true"
    return StreamingResponse(
        render.json_array(chunks), media_type="application/json", headers=headers
    )


async def ticket_detail(request: Request, actor: Actor | None, data: dict) -> Response:
    ticket_id = parse.ticket_id(request)
    try:
        row = await feed.one_ticket(actor, ticket_id, public=_public(request))
    except NotFound:
        raise refuse(404, {"error": "ticket_not_found"}) from None
    return JSONResponse(render.ticket(row))


async def user_stats(request: Request, actor: Actor | None, data: dict) -> Response:
    slack_id = parse.slack_id(request)
    try:
        helper = await stats.helper_stats(actor, slack_id, public=_public(request))
    except NotFound:
        raise refuse(404, {"error": "user_not_found"}) from None
    return JSONResponse(asdict(helper))


DATE_TIME = {"type": "string", "format": "date-time"}
RANGE = {"since": DATE_TIME, "after": DATE_TIME, "until": DATE_TIME, "before": DATE_TIME}
OBJECT, TICKETS = {"type": "object"}, {"type": "array", "items": {"type": "object"}}
INFO = openapi.Info(
    title="nephthys API (ticketgate)",
    version="1.0.0",
    description="Read-only; credentials are needed unless NEPHTHYS_PUBLIC is set.",
    security_schemes={
        "bearer": {"type": "http", "scheme": "bearer"},
        "token": {"type": "apiKey", "in": "header", "name": "X-Token"},
    },
    errors={
        status: {"description": description}
        for status, description in {
            "400": '{"error": "…"} (a parameter, or "Provided filters are too broad")',
            "401": '{"error": "unauthorized"}',
            "404": '{"error": "ticket_not_found"} or "user_not_found"',
        }.items()
    },
)


def _op(path: str, handler, summary: str, **more) -> Operation:
    more.setdefault("response", OBJECT)
    return Operation("GET", path, handler, summary, auth=reader, **more)


OPERATIONS = [
    _op("/stats_v2", stats_v2, "All-time and recent stats"),
    _op("/stats", stats_v1, "The first stats route's numbers"),
    _op("/stats/range", stats_range, "Stats between two dates", query=RANGE),
    _op(
        "/tickets",
        tickets_list,
        "Tickets by status and date",
        query={"status": {"type": "string", "enum": list(parse.STATUS_FILTERS)}, **RANGE},
        response=TICKETS,
    ),
    _op("/ticket", ticket_detail, "One ticket by ?id=", query={"id": {"type": "integer"}}),
    _op("/user", user_stats, "A helper's stats by Slack id", query={"id": {"type": "string"}}),
]
openapi.add_document(OPERATIONS, INFO, "This document (ticketgate's)", response=OBJECT)
