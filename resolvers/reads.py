"""Lean reads: a batch of raw SQL statements run together, rows as tuples.

A *read* is a generator that yields `(sql, params)` steps (SQL with `?` markers) and receives
each step's rows (tuples, or records indexable by position) back, so a later statement can use
an earlier one's answer: `rows = yield (sql, params)`. `run(read)` drives it:

- on a SQLite file, the whole batch runs on read-only sqlite3 connections inside one read
  transaction (one consistent snapshot, never behind the writer's lock): on the event loop
  while it is quick, in a small thread pool once it is not (`SqliteReaders`);
- elsewhere (PostgreSQL, an in-memory SQLite), each step is awaited on Tortoise's connection.

Statements are logged to `tortoise.db_client` like Tortoise's own, so tests count them.
Only for reads outside a transaction: a reader does not see a caller's uncommitted writes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tortoise import connections

from observe import sql as sql_count

T = TypeVar("T")
Step = tuple[str, Sequence[Any]]
Read = Generator[Step, list, T]

log = logging.getLogger("tortoise.db_client")
READER_THREADS = 2
INLINE_SECONDS = 0.002  # a read's CPU time on the event loop before it moves to a thread
INLINE_WALL_SECONDS = 0.02  # its wall time there (waiting for the disk) before it moves
# Its CPU time there, its own work between statements (rendering) included, before its next
# statement goes to a thread: a 100-row page renders in about 2 ms and stays on the loop.
INLINE_WORK_SECONDS = 0.02
PROGRESS_STEPS = 2000  # SQLite VM steps between two looks at that deadline


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """`?` markers as PostgreSQL's `$1, $2, …` (our SQL holds no literal `?`)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class _Moved(Exception):
    """A read ran past its time on the event loop; it goes on in a thread from `step`."""

    def __init__(self, step: Step | None) -> None:
        self.step = step  # None: before its first statement


class SqliteReaders:
    """Read-only sqlite3 connections: one for the event loop, one per pool thread.

    A read starts on the event loop (no thread hop: on a busy server a thread waits for the GIL
    after every statement, which halves throughput) with a budget of INLINE_SECONDS of the
    loop thread's CPU time; SQLite's progress handler interrupts a statement that runs past it,
    and the read goes on in the pool from that statement, so a slow query (a search scan, a
    deep offset) never stalls the loop for longer than the budget. A read moved this way sees a
    newer snapshot from there on. CPU time, not wall time: time spent waiting for the GIL (the
    progress handler takes it; a pool thread holds it) or preempted by other processes is not
    the read's own work, and counting it moved ordinary reads to the pool on a busy machine,
    where they added to the GIL contention that made the next reads late too. A read waiting
    for the disk uses no CPU: it moves after INLINE_WALL_SECONDS. A read whose own Python work
    between statements (a big GraphQL document rendering its rows) has used INLINE_WORK_SECONDS
    of CPU sends its next statement from the pool, where the loop preempts it every GIL switch
    interval.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="sqlite-reader")
        self.opened: list[sqlite3.Connection] = []
        self.deadline = self.cpu_deadline = self.wall_deadline = self.work_deadline = 0.0
        self.inline = self._open()
        self.inline.set_progress_handler(self._past_deadline, PROGRESS_STEPS)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            f"file:{self.path}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=512,
        )
        self.opened.append(conn)
        return conn

    def _past_deadline(self) -> bool:
        # Wall time first (cheap); only past it is the thread's CPU time read (a system call).
        now = time.perf_counter()
        return now > self.deadline and (
            now > self.wall_deadline or time.thread_time() > self.cpu_deadline
        )

    def _connection(self) -> sqlite3.Connection:
        if getattr(self.local, "conn", None) is None:
            self.local.conn = self._open()
        return self.local.conn

    def drive(self, read: Read[T], conn: sqlite3.Connection, step: Step | None = None) -> T:
        """Run `read` (from `step` when it was moved) inside one read transaction."""
        debug = log.isEnabledFor(logging.DEBUG)
        try:
            conn.execute("BEGIN")
            step = step or next(read)
            while True:
                if conn is self.inline and time.thread_time() > self.work_deadline:
                    raise _Moved(step)  # its own work (rendering) ran past INLINE_WORK_SECONDS
                sql, values = step
                rows = conn.execute(sql, values).fetchall()
                if debug:  # (once it ran: a statement moved to a thread runs twice)
                    log.debug("%s: %s", sql, values)
                step = read.send(rows)
        except StopIteration as done:
            return done.value
        except sqlite3.OperationalError as exc:
            if conn is self.inline and str(exc) == "interrupted":
                raise _Moved(step) from None
            raise
        finally:
            if conn is self.inline:
                self.deadline = self.wall_deadline = math.inf  # (its commit is never interrupted)
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _in_thread(self, read: Read[T], step: Step | None) -> T:
        return self.drive(read, self._connection(), step)

    async def run(self, read: Read[T]) -> T:
        now = time.perf_counter()
        self.deadline, self.wall_deadline = now + INLINE_SECONDS, now + INLINE_WALL_SECONDS
        cpu = time.thread_time()
        self.cpu_deadline, self.work_deadline = cpu + INLINE_SECONDS, cpu + INLINE_WORK_SECONDS
        try:
            return self.drive(read, self.inline)
        except _Moved as moved:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, self._in_thread, read, moved.step)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for conn in self.opened:
            conn.close()
        self.opened.clear()


class _Store:
    """How the open database is read: its Tortoise client and, for a SQLite file, the readers
    and the connection that tells its data version. Looked up once per open database (Tortoise's
    own lookup of its client costs more than a cached read)."""

    def __init__(self, client) -> None:
        self.client = client
        self.postgres = client.capabilities.dialect == "postgres"
        path = getattr(client, "filename", None)
        self.readers = self.version_conn = None
        if client.capabilities.dialect == "sqlite" and path and path != ":memory:":
            self.readers = SqliteReaders(path)
            self.version_conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False
            )
            self.epoch = secrets.token_hex(4)  # data_version's values mean nothing elsewhere
        self.version: str | None = None  # read in this turn of the event loop (`data_version`)

    def sqlite_version(self) -> str:
        """`PRAGMA data_version`, read once per turn of the event loop and shared by the
        requests handled in that turn. Never stale: a turn's requests arrived by its poll
        for I/O, which came before the read; a write acknowledged before a request was sent
        was so before that poll, and so before the read. The next turn reads afresh (the
        callback forgetting it runs before any request task the next poll brings)."""
        if self.version is None:
            value = self.version_conn.execute("PRAGMA data_version").fetchone()[0]
            self.version = f"{self.epoch}.{value}"
            asyncio.get_running_loop().call_soon(self._forget_version)
        return self.version

    def _forget_version(self) -> None:
        self.version = None

    def close(self) -> None:
        if self.readers is not None:
            self.readers.close()
            self.version_conn.close()


_store: _Store | None = None


def _current() -> _Store:
    global _store
    client = connections.get("default") if _store is None else _store.client
    if _store is None or _store.client is not client:
        close()
        _store = _Store(client)
    return _store


async def run(read: Read[T]) -> T:
    """Drive `read` to its result (see the module docstring)."""
    store = _current()
    read = sql_count.counted_read(read)
    if store.readers is not None:
        return await store.readers.run(read)
    try:
        sql, values = next(read)
        while True:
            sql = _numbered(sql) if store.postgres else sql
            _, rows = await store.client.execute_query(sql, values)
            sql, values = read.send(rows)
    except StopIteration as done:
        return done.value


def close() -> None:
    """Close the readers (with the database: `models.db.close_db`)."""
    global _store
    if _store is not None:
        _store.close()
        _store = None


async def data_version() -> str | None:
    """A token that changes whenever any connection commits a write (None: not known).

    SQLite: `PRAGMA data_version` of a connection that never writes (microseconds, no I/O),
    prefixed by a random epoch of that connection, as its values mean nothing elsewhere.
    PostgreSQL: the current snapshot (`xmin:xmax:xip`), equal only while no transaction
    has committed or started writing; shared by every process.
    """
    store = _current()
    if store.postgres:  # straight on a pooled connection: not one of a door's statements
        async with store.client.acquire_connection() as conn:
            return await conn.fetchval("SELECT pg_current_snapshot()::text")
    if store.version_conn is None:
        return None
    return store.sqlite_version()


def columns(model, names: Iterable[str], alias: str) -> str:
    """`alias.a, alias.b, …` for real columns of `model`."""
    known = model._meta.db_fields
    names = list(names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {unknown}")
    return ", ".join(f"{alias}.{n}" for n in names)


def marks(count: int) -> str:
    """`?, ?, …` for an IN list of `count` values."""
    return ", ".join("?" * count)
