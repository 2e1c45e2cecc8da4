"""Reading a Django project's database (SQLite or PostgreSQL), read-only, in key order.

Values come back as Django stored them; `when` and `seconds` turn its datetimes and durations
into what ticketgate stores. Django keeps aware datetimes as naive UTC text on SQLite
(`USE_TZ = True`, the default) and as `timestamptz` on PostgreSQL; durations as microseconds on
SQLite and as `interval` on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

Row = dict[str, Any]


class Source:
    """A database to read from; queries use `?` markers on both kinds."""

    async def fetch(self, query: str, values: list[Any] = ()) -> list[Row]:
        raise NotImplementedError

    async def tables(self) -> set[str]:
        raise NotImplementedError

    async def columns(self, table: str) -> set[str]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def keyed(
        self, table: str, columns: list[str], *, where: str = "", batch: int = 2000
    ) -> AsyncIterator[list[Row]]:
        """Every row of `table` in `id` order, `batch` at a time (keyset pagination, so memory
        stays flat and a large table is never read whole)."""
        last = None
        extra = f" AND ({where})" if where else ""
        while True:
            after = "id > ?" if last is not None else "TRUE"
            rows = await self.fetch(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {after}{extra}"
                f" ORDER BY id LIMIT {int(batch)}",
                [last] if last is not None else [],
            )
            if not rows:
                return
            yield rows
            last = rows[-1]["id"]


class SQLiteSource(Source):
    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ValueError(f"no SQLite database at {path}")
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.db.row_factory = sqlite3.Row

    async def fetch(self, query: str, values: list[Any] = ()) -> list[Row]:
        return [dict(r) for r in self.db.execute(query, list(values)).fetchall()]

    async def tables(self) -> set[str]:
        rows = await self.fetch("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r["name"] for r in rows}

    async def columns(self, table: str) -> set[str]:
        return {r[1] for r in self.db.execute(f'PRAGMA table_info("{table}")').fetchall()}

    async def close(self) -> None:
        self.db.close()


class PostgresSource(Source):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @classmethod
    async def connect(cls, url: str) -> PostgresSource:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        await conn.execute("SET default_transaction_read_only = on")
        return cls(conn)

    async def fetch(self, query: str, values: list[Any] = ()) -> list[Row]:
        parts = query.split("?")
        numbered = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], 1))
        return [dict(r) for r in await self.conn.fetch(numbered, *values)]

    async def tables(self) -> set[str]:
        rows = await self.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {r["table_name"] for r in rows}

    async def columns(self, table: str) -> set[str]:
        rows = await self.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            [table],
        )
        return {r["column_name"] for r in rows}

    async def close(self) -> None:
        await self.conn.close()


async def open_source(url: str) -> Source:
    """`sqlite:///path/db.sqlite3` or `postgres://user@host:5432/db` (as DATABASE_URL)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SQLiteSource(Path(url.removeprefix("sqlite://").split("?", 1)[0]))
    if scheme in ("postgres", "postgresql"):
        return await PostgresSource.connect(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///… or postgres://…")


def when(value: datetime | str | None) -> datetime | None:
    """A Django datetime as an aware UTC datetime (naive values are UTC, as Django stores them)."""
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def seconds(value: timedelta | int | None) -> int | None:
    """A Django DurationField value (microseconds on SQLite) in whole seconds."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value) // 1_000_000
