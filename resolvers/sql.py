"""Raw SQL for what the ORM cannot say (window functions, aggregates over time)."""

from __future__ import annotations

from typing import Any

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
