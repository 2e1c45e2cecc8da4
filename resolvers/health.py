"""Readiness: what `GET /readyz` checks before a load balancer sends traffic here."""

from __future__ import annotations

from pathlib import Path

from tortoise import connections

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent


async def pending_migrations() -> list[str]:
    """The committed migrations not yet applied to the database (raises when it is out of
    reach)."""
    committed = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))
    _, rows = await connections.get("default").execute_query(
        "SELECT name FROM tortoise_migrations WHERE app = 'models'"
    )
    applied = {row[0] for row in rows}
    return [name for name in committed if name not in applied]
