"""Write transactions: `async with writes.transaction():` around every domain change.

- **SQLite file** (the embedded store): one `Writer` per process and file commits in groups.
  A transaction waits for its turn in the writer's current batch, runs inside its own
  SAVEPOINT there (a failure rolls back that command alone and raises its own error at once),
  and is acknowledged, i.e. `transaction()` returns, only after the batch's single COMMIT is
  on disk. Whoever arrives while a batch runs or commits joins the next one, so batches grow
  with the load and a lone write waits for nothing.
- **PostgreSQL** (and in-memory SQLite): a plain transaction on the pool, one per command.

Inside a transaction, a nested `transaction()` is a savepoint of the enclosing one.

The writer has its own sqlite3 connection. Statements inside a batch (keyed lookups and
inserts: microseconds) run on the event loop itself, as a thread hop per statement made a
batch wait for the GIL after each one; `BEGIN IMMEDIATE` (which may wait for another
writer, `busy_timeout`) and `COMMIT` (the fsync) run in the writer's thread. Tortoise's own
connection is left to reads, which never wait for a batch (WAL), and to the odd statement
outside a transaction (a login's `last_login_at`), which waits for the file's write lock in
aiosqlite's thread like another process would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper
from tortoise.connection import get_connections
from tortoise.models import Model
from tortoise.transactions import in_transaction

log = logging.getLogger("ticketgate.writes")
MAX_BATCH = 256  # commands per commit; the rest wait for the next batch


class BatchLost(Exception):
    """The database rolled back a whole batch (disk full, I/O error): nothing of it is saved."""


def _future() -> asyncio.Future:
    return asyncio.get_running_loop().create_future()


@dataclass(eq=False)
class _Turn:
    """One command's place in a batch: `start` gives it the connection when its turn comes,
    `committed` tells it the batch is on disk."""

    start: asyncio.Future = field(default_factory=_future)
    committed: asyncio.Future = field(default_factory=_future)
    ran: bool = False  # it had its turn: the next one starts when it ends


class _Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor

    async def close(self) -> None:
        self.cursor.close()

    async def fetchall(self) -> list:
        return self.cursor.fetchall()


class _InlineConnection:
    """The part of aiosqlite's connection that Tortoise's SQLite transaction uses, run on the
    calling thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Cursor:
        return _Cursor(self._conn.execute(sql, parameters or ()))

    async def execute_insert(self, sql: str, parameters: Iterable[Any] | None = None) -> tuple:
        return (self._conn.execute(sql, parameters or ()).lastrowid,)

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] | None = None) -> list:
        return self._conn.execute(sql, parameters or ()).fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> _Cursor:
        return _Cursor(self._conn.executemany(sql, parameters))

    async def executescript(self, sql: str) -> _Cursor:
        raise NotImplementedError("no scripts in a write transaction (sqlite3 commits first)")


class Writer:
    """Group commit on one SQLite file (see the module docstring)."""

    def __init__(self, client: SqliteClient) -> None:
        self.client = client
        self.waiting: deque[_Turn] = deque()
        self.task: asyncio.Task | None = None
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self.conn = sqlite3.connect(
            client.filename, isolation_level=None, check_same_thread=False, cached_statements=512
        )
        self.conn.row_factory = sqlite3.Row
        for pragma, value in client.pragmas.items():  # busy_timeout included (models/db.py)
            self.conn.execute(f"PRAGMA {pragma}={value}")

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[TransactionalDBClient]:
        turn = _Turn()
        self.waiting.append(turn)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        try:
            conn: SqliteTransactionWrapper = await turn.start
            async with self._savepoint(conn):
                yield conn
        except BaseException:
            turn.committed.cancel()  # (nothing of it left to commit)
            raise
        finally:
            if turn.ran:
                self._next()
        await asyncio.shield(turn.committed)

    @contextlib.asynccontextmanager
    async def _savepoint(self, conn: SqliteTransactionWrapper) -> AsyncIterator[None]:
        token = get_connections().set(conn.connection_name, conn)
        try:
            self.conn.execute("SAVEPOINT command")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:  # (not when the database rolled it all back)
                    self.conn.execute("ROLLBACK TO command")
                raise
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("RELEASE command")
        finally:
            get_connections().reset(token)

    def _next(self) -> None:
        """Start the next waiting command in the open batch (straight from the one that just
        finished: no round trip through the writer task), or close the batch."""
        if not self.conn.in_transaction:
            self.drained.set_exception(BatchLost("The write was lost with its batch; retry."))
            return
        while self.waiting and len(self.batch) < MAX_BATCH:
            turn = self.waiting.popleft()
            if not turn.start.cancelled():  # (its caller gave up while it waited)
                self.batch.append(turn)
                turn.ran = True
                turn.start.set_result(self.wrapper)
                return
        self.drained.set_result(None)

    async def _run(self) -> None:
        while self.waiting:
            await self._batch()

    async def _in_thread(self, sql: str) -> None:
        await asyncio.get_running_loop().run_in_executor(self.thread, self.conn.execute, sql)

    async def _batch(self) -> None:
        self.wrapper = SqliteTransactionWrapper(self.client)
        self.wrapper._connection = _InlineConnection(self.conn)
        self.batch: list[_Turn] = []
        self.drained = _future()
        try:
            await self._in_thread("BEGIN IMMEDIATE")
            self._next()
            await self.drained
            await self._in_thread("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            log.error("write batch of %d rolled back: %r", len(self.batch), exc)
            lost = exc if isinstance(exc, BatchLost) else BatchLost(str(exc))
            for turn in self.batch:
                if not turn.committed.done():
                    turn.committed.set_exception(lost)
            if not self.batch:  # BEGIN failed (locked past busy_timeout, read-only file, …)
                while self.waiting:
                    if not (turn := self.waiting.popleft()).start.done():
                        turn.start.set_exception(lost)
            if not isinstance(exc, Exception):
                raise
            return
        for turn in self.batch:
            if not turn.committed.done():
                turn.committed.set_result(None)

    async def close(self) -> None:
        """Close the connection once the open batch has ended: a command that failed was
        answered before its batch's COMMIT, which must not then meet a closed database."""
        if self.task is not None:
            await asyncio.wait([self.task])  # (its failures are its commands')
        self.thread.shutdown(wait=True)
        self.conn.close()


_writers: dict[str, Writer] = {}


def _writer(client: BaseDBAsyncClient) -> Writer | None:
    """The writer of this SQLite file (None: another kind of store)."""
    path = getattr(client, "filename", None)
    if not isinstance(client, SqliteClient) or not path or path == ":memory:":
        return None
    writer = _writers.get(path)
    if writer is None:
        writer = _writers[path] = Writer(client)
    writer.client = client  # (Tortoise replaces its client when the event loop changes)
    return writer


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """One domain command's transaction (see the module docstring)."""
    client = connections.get("default")
    writer = None if isinstance(client, TransactionalDBClient) else _writer(client)
    if writer is None:
        async with in_transaction():
            yield
        return
    async with writer.turn():
        yield


def columns(instance: Model) -> dict[str, Any]:
    """The instance's column values, to pass to `save_changed` after changing it."""
    return {name: getattr(instance, name) for name in instance._meta.fields_db_projection}


async def save_changed(instance: Model, before: dict[str, Any]) -> list[str]:
    """Write only the columns that differ from `before` (`columns(instance)` taken under the
    row's lock), so that a concurrent change of another column is never overwritten."""
    changed = [name for name, value in before.items() if getattr(instance, name) != value]
    if changed:
        await instance.save(update_fields=changed)
    return changed


async def close() -> None:
    """Close the writers (with the database), after the batches they are running."""
    for writer in _writers.values():
        await writer.close()
    _writers.clear()
