"""`make bench-writes`: acknowledged creates per second with 50 concurrent clients, beside the
bare one-commit-per-write ceiling of the same disk, measured in one run (issue 12).

    python -m bench.writes [--seconds 10] [--connections 50] [--workers 1] [--no-docs]
    python -m bench.writes --postgres postgres://postgres@127.0.0.1:5432/tg_bench --workers 1,2

The server runs on a fresh copy of a small seeded data set (/tmp/tg-bench-1000, bench/data.py)
with `SQLITE_SYNCHRONOUS=FULL`, like `make bench` (bench/run.py). Each row is one wrk run
(`bench/wrk.py`) posting a new ticket on every request; "acknowledged" counts 2xx answers
without a GraphQL error, and the tickets table must have grown by at least that much. The last
door of each round reads the 100-ticket GraphQL page (as `make bench`), for the processes'
ratio on reads; with several `--workers` counts, each door's ratio to the first count closes
the section.
`--postgres URL` drops and recreates that database and measures the same against it (the
SQLite commit ceiling is still measured, for reference).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench import data, report, run, scenarios, wrk
from bench.servers import Server, running

TICKETS = 1000
LABEL = "writes: 50 clients creating tickets (`make bench-writes`)"
WRITES_MARK = "<!-- write results: sections written by bench/writes.py, newest first -->"
CREATE = (
    'mutation($t: String!) { createTicket(input: {title: $t, description: "bench"}) '
    "{ ticket { id } } }"
)
# wrk sends the same body each time: a fresh title is not needed, a fresh ticket is made.
GRAPHQL_BODY = '{"query": %s, "variables": {"t": "bench write"}}'


@dataclass(frozen=True)
class Door:
    name: str
    label: str
    path: str
    body: str
    headers: dict[str, str]
    writes: bool = True  # False: a read (CPU per answer, nothing written)


@dataclass(frozen=True)
class Result:
    door: Door
    measured: wrk.Measured
    acknowledged: int
    written: int  # rows the tickets table grew by
    cpu_ms_per_create: float
    workers: int
    db_ms: float | None  # PostgreSQL's backends, per create or answer (None: SQLite, in process)
    wrk_ms: float  # the load generator, per request


def doors(token: str, jwt: str) -> list[Door]:
    graphql = GRAPHQL_BODY % json.dumps(CREATE)
    page = json.dumps({"query": scenarios.TICKETS_PAGE % 100})
    return [
        Door(
            "graphql",
            "GraphQL `createTicket`",
            "/graphql",
            graphql,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        ),
        Door(
            "platform-v1",
            "platform v1 `POST /api/v1/tickets`",
            "/api/v1/tickets",
            '{"title": "bench write", "description": "bench"}',
            {"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"},
        ),
        Door(
            "graphql-100",
            "read: GraphQL `tickets(first: 100)` page",
            "/graphql",
            page,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            writes=False,
        ),
    ]


@dataclass(frozen=True)
class Ceiling:
    """The bare commit loop: its rate, and the tail of its commits' latency (fsync stalls)."""

    per_second: float
    p99_ms: float
    max_ms: float
    stalls: int  # commits slower than STALL_MS
    seconds: float

    def text(self) -> str:
        return (
            f"{self.per_second:,.0f} commits/s, p99 {self.p99_ms:.1f} ms, max {self.max_ms:,.0f}"
            f" ms, {self.stalls} commits over {STALL_MS} ms in {self.seconds:g} s"
        )


STALL_MS = 50


def commit_ceiling(directory: Path, seconds: float = 5.0) -> Ceiling:
    """A bare sqlite3 loop (WAL, synchronous=FULL, one small insert per transaction) on the
    disk under `directory`: what one commit per write allows, and how long the disk's
    slowest commits take (every write in flight waits for a stalled one; no server can
    answer faster than its disk commits)."""
    path = directory / "ceiling.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    took: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        begun = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (v) VALUES ('x')")
        conn.execute("COMMIT")
        took.append((time.perf_counter() - begun) * 1000)
    elapsed = time.perf_counter() - started
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    took.sort()
    return Ceiling(
        len(took) / elapsed,
        took[min(len(took) - 1, round(0.99 * len(took)))],
        took[-1],
        sum(t > STALL_MS for t in took),
        seconds,
    )


def count_tickets(database: Path | str) -> int:
    """Rows in `tickets` (a SQLite file, or a PostgreSQL URL)."""
    if isinstance(database, str):
        return asyncio.run(_pg(database, "SELECT count(*) FROM tickets"))
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]


async def _pg(url: str, sql: str):
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def cpu_seconds(pgid: int | None = None, database: str | None = None) -> float:
    """User + system CPU of every process in process group `pgid` (the server and its
    workers), or of PostgreSQL's backends connected to `database` (their command line)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if database is not None:
                command = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:  # (gone meanwhile)
            continue
        if int(fields[2]) == pgid or (
            database is not None and command.startswith("postgres: ") and f" {database} " in command
        ):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU of the finished child processes (wrk)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def acknowledged(measured: wrk.Measured, errors: int) -> int:
    """2xx answers: wrk's count less its non-2xx answers and GraphQL errors (`errors`)."""
    non_2xx = sum(int(p.split()[0]) for p in measured.problems.split("; ") if "non-2xx" in p)
    return measured.requests - non_2xx - errors


def graphql_errors_script(script: str) -> str:
    """wrk counts an answer carrying GraphQL `errors` (status 200) as a failure too."""
    return script + (
        "errors = 0\n"
        "response = function(status, headers, body)\n"
        "  if string.find(body, '\"errors\"') then errors = errors + 1 end\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("graphql errors: %d\\n", errors))\n'
        "end\n"
    )


def measure(server: Server, door: Door, load: wrk.Load, db: Path | str, workers: int) -> Result:
    script = graphql_errors_script(wrk.lua_script("POST", door.body.encode(), door.headers))
    database = db.rsplit("/", 1)[1] if isinstance(db, str) else None
    before, cpu = count_tickets(db), cpu_seconds(server.process.pid)
    db_cpu, wrk_cpu = cpu_seconds(database=database) if database else 0, children_cpu_seconds()
    text = wrk.report(server.url + door.path, script, load)
    wrk_used = children_cpu_seconds() - wrk_cpu
    measured = replace(wrk.parse(text), seconds=load.seconds)
    errors = int(re.search(r"^graphql errors: (\d+)", text, re.M)[1])
    server.settle()
    written = count_tickets(db) - before
    used = cpu_seconds(server.process.pid) - cpu
    db_used = cpu_seconds(database=database) - db_cpu if database else None
    acked = acknowledged(measured, errors)
    per = max(written if door.writes else acked, 1)
    return Result(
        door,
        measured,
        acked,
        written,
        1000 * used / per,
        workers,
        None if db_used is None else 1000 * db_used / per,
        1000 * wrk_used / max(measured.requests, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", default="1", help="server processes, e.g. 1,2")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to recreate")
    parser.add_argument("--docs", default=str(data.ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-docs", dest="write_docs", action="store_false")
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",")]
    command = "python -m bench.writes " + shlex.join(sys.argv[1:])
    log = Path(tempfile.gettempdir()) / "tg-bench-servers.log"
    os.environ.pop("DATABASE_URL", None)
    saved = data.prepare(TICKETS)
    load = wrk.Load(connections=args.connections, seconds=args.seconds)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="tg-bench-writes-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data.data_dir(TICKETS), copy)
        ceiling = commit_ceiling(copy)
        print(f"bare sqlite3 commit loop (WAL, synchronous=FULL): {ceiling.text()}")
        env = {**run.SERVER_ENV, "TICKETGATE_DATA_DIR": str(copy)}
        db: Path | str = copy / "ticketgate.sqlite3"
        if args.postgres:
            env["DATABASE_URL"] = db = args.postgres
            saved = _prepare_postgres(args.postgres, env)
        for n in workers:
            servers: list[Server] = []
            with running(servers):
                command_line = [data.TICKETGATE, "serve", "--workers", str(n)]
                server = Server("ticketgate", command_line, env, log)
                servers.append(server)
                server.wait_ready("/graphql", attempts=1200)  # (slow to start on a busy host)
                jwt = _login(server.url, saved)
                for door in doors(saved["token"], jwt):
                    print(f"  {door.label}, {n} process(es) …", flush=True)
                    results.append(measure(server, door, load, db, n))
    store = "PostgreSQL" if args.postgres else "SQLite (WAL, `synchronous=FULL`)"
    text = markdown(results, ceiling, load, store, command, os.getloadavg())
    label = LABEL + (", PostgreSQL" if args.postgres else "")
    text = text.replace(f"### {LABEL}\n", f"### {label}\n", 1)
    print("\n" + text)
    if args.write_docs:
        report.write(Path(args.docs), label, text, WRITES_MARK)
        print(f"written to {args.docs}")


def _prepare_postgres(url: str, env: dict[str, str]) -> dict[str, str]:
    """Recreate the database `url` names, migrate it and make the bench agent and token."""
    base, name = url.rsplit("/", 1)
    asyncio.run(_pg(base + "/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg(base + "/postgres", f'CREATE DATABASE "{name}"'))

    def cli(*args: str) -> str:
        done = subprocess.run(
            [data.TICKETGATE, *args],
            env={**os.environ, **env, "LOG_LEVEL": "WARNING"},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    cli("migrate")
    email = f"{data.USERNAME}@example.com"
    cli(
        "create-user",
        data.USERNAME,
        "--role",
        "agent",
        "--email",
        email,
        "--password",
        data.PASSWORD,
    )
    token = cli("create-token", data.USERNAME, "--name", "bench").splitlines()[-1]
    return {"token": token, "email": email, "password": data.PASSWORD}


def _login(url: str, saved: dict) -> str:
    login = {"email": saved["email"], "password": saved["password"]}
    answer = httpx.post(url + "/api/v1/auth/login", json=login, timeout=30)
    answer.raise_for_status()
    return answer.json()["token"]


def markdown(results, ceiling, load, store, command, load_average) -> str:
    la = ", ".join(f"{x:.2f}" for x in load_average)
    lines = [
        f"### {LABEL}",
        "",
        f"`{command}` at commit {run._commit()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, {store}, "
        f"wrk -t{load.threads} -c{load.connections} -d{load.seconds}s, load average {la} at the "
        f"end. Bare sqlite3 commit loop on the same disk (one fsync'd commit per write): "
        f"**{ceiling.text()}**. Server CPU: all its processes, per ticket written; "
        "the share is of one core over the run. PostgreSQL CPU: its backends serving this "
        "database (same machine); wrk CPU: the load generator, per request sent.",
        "",
        "| door | processes | acknowledged creates/s (read: answers/s) | p50 ms | p99 ms "
        "| rows written | failed | server CPU ms per create (read: per answer) "
        "| server CPU share | PostgreSQL CPU ms per create (read: per answer) "
        "| wrk CPU ms per request |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r.measured
        rate = r.acknowledged / m.seconds
        failed = m.requests - r.acknowledged
        share = r.cpu_ms_per_create * (r.written if r.door.writes else r.acknowledged)
        share /= 10 * m.seconds
        lines.append(
            f"| {r.door.label} | {r.workers} | {rate:,.0f} | {m.p50_ms:,.1f} | {m.p99_ms:,.1f} | "
            f"{r.written:,} | {failed} | {r.cpu_ms_per_create:.1f} | {share:.0f} % | "
            f"{'—' if r.db_ms is None else f'{r.db_ms:.1f}'} | {r.wrk_ms:.2f} |"
        )
    first = results[0].workers if results else 1
    ratios = [
        f"{r.door.label}: {r.acknowledged / base.acknowledged:.2f}x"
        for r in results
        for base in results
        if r.workers != first and base.workers == first and base.door.name == r.door.name
    ]
    if ratios:
        lines += ["", f"Ratio to {first} process(es), same run: " + "; ".join(ratios) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
