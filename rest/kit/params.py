"""Parameter parsers shared by the dialects: each returns the value or raises
Invalid(field, message) (a dialect rewords the message where its API has its own)."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from resolvers.errors import Invalid

DURATION_RE = re.compile(
    r"^(?:(?P<days>-?\d+) (?:days?, )?)?(?:(?P<hours>\d+):(?=\d+:\d+))?"
    r"(?:(?P<minutes>\d+):)?(?P<seconds>\d+)(?:[.,](?P<micro>\d{1,6})\d{0,6})?$"
)
TRUE, FALSE = ("true", "1"), ("false", "0")


def integer(raw: str, field: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise Invalid(field, f"{field} must be an integer.") from None


def optional_integer(raw: str | None, field: str, *, default: int) -> int:
    """An integer query parameter; `default` when absent or empty."""
    return default if raw is None or raw == "" else integer(raw, field)


def boolean(raw: str, field: str) -> bool:
    """true/false/1/0, any case."""
    lowered = raw.lower()
    if lowered not in TRUE + FALSE:
        raise Invalid(field, f"{field} must be true or false.")
    return lowered in TRUE


def choice(value: object, field: str, choices: Collection) -> object:
    """`value` if it is one of `choices` (in their order in the message)."""
    if value not in choices:
        label = field.replace("_", " ").capitalize()
        raise Invalid(field, f"{label} must be one of: {', '.join(map(str, choices))}")
    return value


def utc_datetime(text: str) -> datetime | None:
    """An ISO 8601 date-time as an aware UTC datetime (naive means UTC); None when it is not
    one, or cannot be one in UTC (year 1 with a positive offset, year 9999 with a negative)."""
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def duration(text: str, field: str) -> int:
    """Django's duration text ("[DD] [HH:[MM:]]ss[.uuuuuu]") as whole seconds."""
    match = DURATION_RE.match(text.strip())
    if not match:
        raise Invalid(
            field,
            "Duration has wrong format. Use one of these formats instead: "
            "[DD] [HH:[MM:]]ss[.uuuuuu].",
        )
    try:  # (int() refuses over 4300 digits; timedelta over 999999999 days)
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        delta = timedelta(
            days=parts["days"],
            hours=parts["hours"],
            minutes=parts["minutes"],
            seconds=parts["seconds"],
        )
    except (ValueError, OverflowError):  # DRF's DurationField "overflow" message
        low, high = timedelta.min.days, timedelta.max.days
        raise Invalid(field, f"The number of days must be between {low} and {high}.") from None
    return int(delta.total_seconds())
