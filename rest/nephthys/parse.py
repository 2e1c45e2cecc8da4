"""nephthys' query parameters (the bot's own wording for every refusal)."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from models import CLOSED_STATUSES, Status
from resolvers import stats
from resolvers.validation import MAX_ID
from rest.kit.params import utc_datetime
from rest.nephthys.errors import refuse

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
        raise refuse(400, {"error": f"{label} parameter is not a valid ISO datetime: {value}"})
    return parsed


def time_range(request: Request) -> tuple[datetime | None, datetime | None]:
    """`since`/`after` and `until`/`before`."""
    since = _datetime(_param(request, "since", "after"), "created_after")
    until = _datetime(_param(request, "until", "before"), "created_before")
    return since, until


def statuses(request: Request) -> tuple[Status, ...] | None:
    """`?status=` as canonical statuses (None when not given)."""
    status = request.query_params.get("status")
    if not status:
        return None
    if status.lower() not in STATUS_FILTERS:
        raise refuse(400, {"error": f"Invalid status parameter: {status}"})
    return STATUS_FILTERS[status.lower()]


def ticket_id(request: Request) -> int:
    """`?id=` of /ticket: missing, malformed and out-of-range ids in the bot's words."""
    raw = request.query_params.get("id")
    if raw is None:
        raise refuse(400, {"error": "missing_ticket_id"})
    try:
        number = int(raw)
    except ValueError:
        raise refuse(400, {"error": "invalid_ticket_id"}) from None
    if not 0 < number <= MAX_ID:
        raise refuse(404, {"error": "ticket_not_found"})
    return number


def slack_id(request: Request) -> str:
    found = request.query_params.get("id")
    if not found:
        raise refuse(400, {"error": "missing_user_id"})
    return found
