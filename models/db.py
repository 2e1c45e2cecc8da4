"""Database lifecycle: Tortoise configuration, opening, migrating, closing."""

from __future__ import annotations

import asyncio

from tortoise import Tortoise
from tortoise.migrations.api import migrate as migrate_api

from resolvers import reads, writes

# How long a SQLite connection waits for another process's write lock before giving up
# (several `serve --workers` on one file; resolvers/writes.py).
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _with_busy_timeout(database_url: str) -> str:
    if not database_url.startswith("sqlite") or "busy_timeout=" in database_url:
        return database_url
    joiner = "&" if "?" in database_url else "?"
    return f"{database_url}{joiner}busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"


def tortoise_config(database_url: str) -> dict:
    return {
        "connections": {"default": _with_busy_timeout(database_url)},
        "apps": {
            "models": {
                "models": ["models"],
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_db(database_url: str) -> None:
    """Connect once per process; request tasks see the connection through the global context."""
    if Tortoise.is_inited():
        return
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def migrate(database_url: str) -> None:
    """Apply the committed migrations under migrations/ (never generate_schemas).

    Runs in its own task so that the ORM context it sets up stays out of the caller's.
    """

    async def run() -> None:
        try:
            await migrate_api(config=tortoise_config(database_url))
        finally:
            await close_db()

    await asyncio.create_task(run())


async def close_db() -> None:
    reads.close()  # (the lean readers hold the client they were opened for)
    await writes.close()
    await Tortoise.close_connections()


# Used by `make migrations` (tortoise makemigrations): diffing models needs no real database.
MIGRATIONS_CONFIG = tortoise_config("sqlite://:memory:")
