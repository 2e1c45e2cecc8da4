"""Raw SQL for what the ORM cannot say (window functions, aggregates over time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from tortoise import connections


def _conn():
    return connections.get("default")


def is_postgres() -> bool:
    return _conn().capabilities.dialect == "postgres"


def params(count: int, start: int = 1) -> list[str]:
    """`count` parameter markers in the database's style (`$n` or `?`)."""
    if is_postgres():
        return [f"${i}" for i in range(start, start + count)]
    return ["?"] * count


async def fetch(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    return await _conn().execute_query_dict(sql, values)


async def execute_script(sql: str) -> None:
    await _conn().execute_script(sql)


def seconds_between(start: str, end: str) -> str:
    """SQL for the seconds from column `start` to column `end` (NULL when either is NULL).

    SQLite keeps Tortoise datetimes as ISO text (julianday reads them); PostgreSQL has
    timestamptz columns.
    """
    if is_postgres():
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def timestamp(value: datetime) -> datetime:
    """A datetime parameter compared with datetime columns exactly as Tortoise stores them
    (UTC; on SQLite the adapter Tortoise registers writes the same ISO text)."""
    return value.astimezone(UTC)


def to_datetime(value: datetime | str) -> datetime:
    """A datetime column read through raw SQL (ISO text on SQLite) as an aware datetime."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def is_utc_text(value: object) -> bool:
    """Whether `value` is a datetime column as SQLite gives it to raw SQL, in UTC:
    `YYYY-MM-DD HH:MM:SS[.ffffff]+00:00` (what `isoformat(" ")` wrote), so door formats can cut
    it instead of parsing it."""
    return isinstance(value, str) and value[10:11] == " " and value.endswith("+00:00")


def json_value(value: Any) -> Any:
    """A JSON column read through raw SQL (text on SQLite and PostgreSQL) as Tortoise reads it."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value
