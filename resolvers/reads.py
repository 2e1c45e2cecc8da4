"""Lean reads: a batch of raw SQL statements run in one hop, rows as tuples.

A *read* is a generator that yields `(sql, params)` steps (SQL with `?` markers) and receives
each step's rows (tuples, or records indexable by position) back, so a later statement can use
an earlier one's answer: `rows = yield (sql, params)`. `run(read)` drives it:

- on a SQLite file, the whole batch runs in one call on a small pool of read-only sqlite3
  connections in threads, inside one read transaction (one consistent snapshot, no hop per
  statement, never behind the writer's lock);
- elsewhere (PostgreSQL, an in-memory SQLite), each step is awaited on Tortoise's connection.

Statements are logged to `tortoise.db_client` like Tortoise's own, so tests count them.
Only for reads outside a transaction: a reader does not see a caller's uncommitted writes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
import sqlite3
import threading
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tortoise import connections

T = TypeVar("T")
Step = tuple[str, Sequence[Any]]
Read = Generator[Step, list, T]

log = logging.getLogger("tortoise.db_client")
READER_THREADS = 2


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """`?` markers as PostgreSQL's `$1, $2, …` (our SQL holds no literal `?`)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class SqliteReaders:
    """Read-only sqlite3 connections, one per pool thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="sqlite-reader")
        self.opened: list[sqlite3.Connection] = []

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=512,
            )
            self.local.conn = conn
            self.opened.append(conn)
        return conn

    def drive(self, read: Read[T]) -> T:
        conn = self._connection()
        debug = log.isEnabledFor(logging.DEBUG)
        conn.execute("BEGIN")
        try:
            step = next(read)
            while True:
                sql, values = step
                if debug:
                    log.debug("%s: %s", sql, values)
                step = read.send(conn.execute(sql, values).fetchall())
        except StopIteration as done:
            return done.value
        finally:
            conn.execute("COMMIT")

    async def run(self, read: Read[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self.drive, read)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for conn in self.opened:
            conn.close()
        self.opened.clear()


_readers: dict[str, SqliteReaders] = {}
_versions: dict[str, tuple[str, sqlite3.Connection]] = {}


def _sqlite_readers(client) -> SqliteReaders | None:
    path = getattr(client, "filename", None)
    if client.capabilities.dialect != "sqlite" or not path or path == ":memory:":
        return None
    if path not in _readers:
        _readers[path] = SqliteReaders(path)
    return _readers[path]


async def run(read: Read[T]) -> T:
    """Drive `read` to its result (see the module docstring)."""
    client = connections.get("default")
    readers = _sqlite_readers(client)
    if readers is not None:
        return await readers.run(read)
    postgres = client.capabilities.dialect == "postgres"
    try:
        sql, values = next(read)
        while True:
            _, rows = await client.execute_query(_numbered(sql) if postgres else sql, values)
            sql, values = read.send(rows)
    except StopIteration as done:
        return done.value


def close() -> None:
    """Close the reader pools (with the database)."""
    for readers in _readers.values():
        readers.close()
    _readers.clear()
    for _, conn in _versions.values():
        conn.close()
    _versions.clear()


async def data_version() -> str | None:
    """A token that changes whenever any connection commits a write (None: not known).

    SQLite: `PRAGMA data_version` of a connection that never writes (microseconds, no I/O),
    prefixed by a random epoch of that connection, as its values mean nothing elsewhere.
    PostgreSQL: the current snapshot (`xmin:xmax:xip`), equal only while no transaction
    has committed or started writing; shared by every process.
    """
    client = connections.get("default")
    dialect = client.capabilities.dialect
    if dialect == "postgres":  # straight on a pooled connection: not one of a door's statements
        async with client.acquire_connection() as conn:
            return await conn.fetchval("SELECT pg_current_snapshot()::text")
    path = getattr(client, "filename", None)
    if dialect != "sqlite" or not path or path == ":memory:":
        return None
    if path not in _versions:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        _versions[path] = (secrets.token_hex(4), conn)
    epoch, conn = _versions[path]
    return f"{epoch}.{conn.execute('PRAGMA data_version').fetchone()[0]}"


def marks(count: int) -> str:
    """`?, ?, …` for an IN list of `count` values."""
    return ", ".join("?" * count)
