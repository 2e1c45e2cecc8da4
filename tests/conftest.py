"""Shared fixtures: one database per test process (each pytest-xdist worker has its own: an
SQLite file in its temporary directory, or a fresh PostgreSQL database when
TICKETGATE_TEST_DATABASE=postgres), migrated once and emptied before every test; the ASGI app
over httpx. Timings: docs/architecture.md "Running the suite".
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis
from argon2 import PasswordHasher, profiles
from tortoise import Tortoise, connections

from models import db
from resolvers import credentials, custom_fields, permissions, users
from server import build_app
from settings import Settings, sqlite_url
from tests.helpers import (
    ON_POSTGRES,
    StatementCounter,
    client_of,
    free_port,
    make_user,
    pg_admin_url,
)

# argon2 at production strength costs ~0.7 s a hash; the tests check behaviour, not strength.
users.use_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under pytest-xdist, a test marked `alone` runs while no other worker runs one: on
    PostgreSQL the ETag's data version is the cluster's snapshot, which the other worker's
    writes move (docs/architecture.md "Running the suite"). A readers-writer lock over two
    files shared by the run's workers; a waiting `alone` test holds the gate, so it waits for
    the tests running now, not for every later one."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return (yield)
    shared = item.config._tmp_path_factory.getbasetemp().parent  # the run's, above each worker's
    alone = item.get_closest_marker("alone") is not None
    with open(shared / "turn.gate", "a") as gate, open(shared / "turn.room", "a") as room:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        return (yield)  # (the files' locks go when they close)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
async def database_url(data_dir: Path) -> AsyncIterator[str]:
    if not ON_POSTGRES:
        yield sqlite_url(data_dir / "test.sqlite3", "OFF")
        return
    admin_url = pg_admin_url()
    name = f"tg_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[str]:
    await db.migrate(database_url)
    await db.open_db(database_url)
    yield database_url
    await db.close_db()


# Tables the migrations create beside the models (stats totals, migrations 0003 and 0004).
EXTRA_TABLES = [
    "ticket_totals",
    "closer_totals",
    "ticket_slots",
    "closer_slots",
    "closed_created_slots",
    "assigned_slots",
]


def _tables() -> list[str]:
    return [m._meta.db_table for m in Tortoise.apps["models"].values()] + EXTRA_TABLES


@pytest.fixture(autouse=True)
async def clean_db(database: str) -> None:
    """Every test starts from empty tables (and no cached credentials: ids are reused), with
    no custom field definitions or per-queue staff permission until it builds an app with
    them."""
    await credentials.drain()
    credentials.clear()
    custom_fields.configure("[]")
    permissions.configure(per_queue=False)
    conn = connections.get("default")
    tables = _tables()
    if ON_POSTGRES:  # DELETE: TRUNCATE rewrites every table's files (~30 times slower here)
        await conn.execute_script(
            "SET session_replication_role = replica;"  # no foreign keys or triggers to fire
            + "".join(f"DELETE FROM {t};" for t in tables)
            + "SET session_replication_role = DEFAULT;"
            " SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S';"
        )
    else:
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f"DELETE FROM {t};" for t in tables)
            + "DELETE FROM sqlite_sequence; PRAGMA foreign_keys=ON;"
        )


@pytest.fixture
def settings(data_dir: Path, database: str) -> Settings:
    return Settings(
        data_dir=data_dir, database_url=database, secret_key="test-secret-key-of-at-least-32-bytes!"
    )


@pytest.fixture
def app(settings: Settings):
    return build_app(settings, manage_db=False)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as c:
        yield c


@pytest.fixture
def client_with(settings: Settings):
    """A client of an app built with other settings: `async with client_with(x=1) as c:`."""

    def make(**changes) -> httpx.AsyncClient:
        return client_of(build_app(dataclasses.replace(settings, **changes), manage_db=False))

    return make


@pytest.fixture
async def admin():
    return await make_user("admin", "admin")


@pytest.fixture
async def agent():
    return await make_user("agent", "agent", slack_id="UAGENT1")


@pytest.fixture
async def customer():
    return await make_user("customer", "customer")


@pytest.fixture
async def other_customer():
    return await make_user("other", "customer")


@pytest.fixture
async def from_address(app):
    """HTTP clients of `app` seen as coming from a given client address."""
    opened: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return opened[-1]

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
def count_sql():
    @contextlib.contextmanager
    def counting():
        logger = logging.getLogger("tortoise.db_client")
        handler, level = StatementCounter(), logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            yield handler.statements
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)

    return counting


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis of this test run's own (`redis-server` on a free port, no persistence); the
    tests that need one are skipped, saying why, where redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(200):  # until it answers (polls, at most a few seconds)
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            pytest.fail("redis-server did not start")
        client.close()
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
