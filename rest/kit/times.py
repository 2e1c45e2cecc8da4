"""The time format of platform v1 (its webhooks too) and the control panel."""

from datetime import UTC, datetime

from resolvers.sql import is_utc_text, to_datetime


def timestamp(value: datetime | str | None) -> str | None:
    """`2025-05-04T14:25:00Z` (UTC, whole seconds). `value` is a datetime, or a datetime
    column read through raw SQL on SQLite (cut without parsing; strftime writes years before
    1000 unpadded, so those are parsed)."""
    if value is None:
        return None
    if is_utc_text(value) and value[:1] != "0":
        return f"{value[:10]}T{value[11:19]}Z"
    return to_datetime(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
