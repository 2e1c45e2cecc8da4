"""The command line, run as real subprocesses (each its own process, as a user runs it)."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest

import commands
from tests.helpers import ON_POSTGRES, pg_admin_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def cli_env(tmp_path):
    """Environment for a fresh installation: own data dir, own database."""
    env = {**os.environ, "TICKETGATE_DATA_DIR": str(tmp_path / "data"), "SQLITE_SYNCHRONOUS": "OFF"}
    env.pop("DATABASE_URL", None)
    if not ON_POSTGRES:
        yield env
        return
    admin = pg_admin_url().replace("postgres://", "postgresql://", 1)
    name = f"tg_cli_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    env["DATABASE_URL"] = pg_admin_url().rsplit("/", 1)[0] + "/" + name
    yield env
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def run(env, *args, stdin=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "commands.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "args",
    [[], ["frobnicate"], ["seed", "--tickets", "many"], ["create-user", "x", "--role", "boss"]],
)
def test_bad_arguments_exit_2_with_one_line(args, capsys):
    # in process: arguments are refused before anything else runs (test_version runs it whole)
    with pytest.raises(SystemExit) as exited:
        commands.main(args)
    assert exited.value.code == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith("ticketgate: ")


def test_export_schema_prints_sdl():
    """What `make schema` writes into schema.graphql, which is up to date."""
    result = run(dict(os.environ), "export-schema")
    assert result.returncode == 0
    assert "type Query" in result.stdout and "tickets(" in result.stdout
    assert (ROOT / "schema.graphql").read_text().strip() == result.stdout.strip()


def test_migrate_seed_users_and_tokens(cli_env):
    assert run(cli_env, "migrate").returncode == 0
    assert run(cli_env, "migrate").returncode == 0  # idempotent
    created = run(cli_env, "create-user", "ops", "--role", "admin", "--password", "s3cure-pass!")
    assert created.returncode == 0, created.stderr
    assert "created admin ops" in created.stdout
    again = run(cli_env, "create-user", "ops", "--role", "admin")
    assert again.returncode == 1 and "already exists" in again.stderr
    token = run(cli_env, "create-token", "ops", "--name", "ci")
    assert token.returncode == 0 and token.stdout.startswith("tg_")
    missing = run(cli_env, "create-token", "nobody")
    assert missing.returncode == 1 and "no user named" in missing.stderr
    seeded = run(cli_env, "seed", "--demo", "--if-empty")
    assert "not seeding" in seeded.stdout  # ops exists already
    bulk = run(cli_env, "seed", "--tickets", "500")
    assert bulk.returncode == 0 and "inserted 500 tickets" in bulk.stdout
    assert "seeding tickets" not in bulk.stderr  # no progress bar off a terminal


def test_data_stays_private_to_the_server_user(cli_env, tmp_path):
    env = {**cli_env, "TICKETGATE_DATA_DIR": str(tmp_path / "fresh")}
    env.pop("DATABASE_URL", None)  # the SQLite file in the data dir
    env.pop("TICKETGATE_SECRET_KEY", None)
    assert run(env, "migrate").returncode == 0
    data = tmp_path / "fresh"
    assert data.stat().st_mode & 0o777 == 0o700
    for name in ("ticketgate.sqlite3", "secret_key"):
        assert (data / name).stat().st_mode & 0o077 == 0, name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_steps_serve_demo_data(cli_env):
    """What `make run` does after installing: migrate, seed the demo once, serve."""
    assert run(cli_env, "migrate").returncode == 0
    seeded = run(cli_env, "seed", "--demo", "--if-empty")
    assert seeded.returncode == 0 and "ticketgate-demo" in seeded.stdout
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "commands.py"), "serve", "--port", str(port)],
        env=cli_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        deadline = time.monotonic() + 30
        while True:
            try:
                login = httpx.post(
                    url,
                    json={
                        "query": 'mutation { login(input: {username: "agent", '
                        'password: "ticketgate-demo"}) { token } }'
                    },
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        token = login.json()["data"]["login"]["token"]
        answer = httpx.post(
            url,
            json={"query": "{ tickets(first: 1) { totalCount } }"},
            headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.9"},
        )
        assert answer.json()["data"]["tickets"]["totalCount"] == 12
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
    assert "GraphiQL at http://127.0.0.1" in output
    # One JSON access line per request (not a terminal); no proxy is trusted unless
    # FORWARDED_ALLOW_IPS names it, so nothing took the header's address.
    access = [orjson.loads(line) for line in output.splitlines() if '"ticketgate.access"' in line]
    assert {"route": "/graphql", "status": 200} in [
        {"route": a["route"], "status": a["status"]} for a in access
    ]
    assert "203.0.113.9" not in output
