"""Writing imported rows into ticketgate's own tables: bulk INSERTs with explicit ids, look-ups
of what is already there, and the id sequences afterwards (PostgreSQL).

Rows go in with plain INSERTs, so the triggers of migrations 0003 and 0004 keep the stats
totals right row by row, exactly as for any other write.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections

from resolvers import sql

# Tables whose ids the import keeps (their sequences move past the largest id afterwards).
KEPT_ID_TABLES = ("users", "queues", "tickets", "comments", "attachments")


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join(sql.params(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


async def insert(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows in one prepared statement (inside the caller's transaction)."""
    if rows:
        await conn.execute_many(insert_sql(table, columns), [list(r) for r in rows])


async def pairs(query: str, values: list[Any]) -> dict[Any, Any]:
    """{first column: second column} of a two-column query (markers from `marks`)."""
    rows = await connections.get("default").execute_query(query, values)
    return {key: value for key, value in (tuple(r) for r in rows[1])}


def marks(count: int) -> str:
    return ", ".join(sql.params(count))


def between() -> str:
    low, high = sql.params(2)
    return f"BETWEEN {low} AND {high}"


async def fix_sequences() -> None:
    """PostgreSQL: each kept-id table's sequence past its largest id (SQLite's AUTOINCREMENT
    follows explicit ids by itself)."""
    if not sql.is_postgres():
        return
    for table in KEPT_ID_TABLES:
        await sql.execute_script(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" GREATEST((SELECT MAX(id) FROM {table}), 1))"
        )
