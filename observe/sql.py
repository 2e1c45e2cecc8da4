"""SQL statements per request: a counter in a context variable, bumped by every statement
Tortoise's clients send and every step of a lean read (resolvers/reads.py)."""

from __future__ import annotations

import contextvars
import functools

_counter: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "sql_statements", default=None
)
METHODS = ("execute_insert", "execute_many", "execute_query", "execute_query_dict")


def start() -> list[int]:
    """A fresh count for the current task (and the tasks it starts): read `[0]` when done."""
    box = [0]
    _counter.set(box)
    return box


def count(statements: int = 1) -> None:
    box = _counter.get()
    if box is not None:
        box[0] += statements


def _counted(method):
    @functools.wraps(method)
    async def wrapper(self, *args, **kwargs):
        count()
        return await method(self, *args, **kwargs)

    wrapper.__counted__ = True
    return wrapper


def instrument() -> None:
    """Count the statements of Tortoise's SQLite and PostgreSQL clients (once per process)."""
    from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
    from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper

    for cls in (SqliteClient, SqliteTransactionWrapper, AsyncpgDBClient, TransactionWrapper):
        for name in METHODS:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "__counted__", False):
                setattr(cls, name, _counted(method))


def counted_read(read):
    """A lean read (a generator of statements) that counts each statement it yields; counted
    in the caller's context even when a step runs in a reader thread."""
    box = _counter.get()
    if box is None:
        return read
    return _stepping(read, box)


def _stepping(read, box: list[int]):
    try:
        step = next(read)
    except StopIteration as done:
        return done.value
    while True:
        box[0] += 1
        rows = yield step
        try:
            step = read.send(rows)
        except StopIteration as done:
            return done.value
