"""`make bench-writes`: acknowledged creates per second with 50 concurrent clients, beside the
bare one-commit-per-write ceiling of the same disk, measured in one run (issue 12).

    python -m bench.writes [--seconds 10] [--connections 50] [--workers 1] [--no-docs]

The server runs on a fresh copy of a small seeded data set (/tmp/tg-bench-1000, bench/data.py)
with `SQLITE_SYNCHRONOUS=FULL`, like `make bench` (bench/run.py). Each row is one wrk run
(`bench/wrk.py`) posting a new ticket on every request; "acknowledged" counts 2xx answers
without a GraphQL error, and the tickets table must have grown by at least that much.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import data, report, run, wrk
from bench.servers import Server, running

TICKETS = 1000
LABEL = "writes: 50 clients creating tickets (`make bench-writes`)"
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


@dataclass(frozen=True)
class Result:
    door: Door
    measured: wrk.Measured
    acknowledged: int
    written: int  # rows the tickets table grew by
    cpu_ms_per_create: float


def doors(token: str, jwt: str) -> list[Door]:
    graphql = GRAPHQL_BODY % json.dumps(CREATE)
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
    ]


def commit_ceiling(directory: Path, seconds: float = 3.0) -> float:
    """Commits per second of a bare sqlite3 loop (WAL, synchronous=FULL, one small insert
    per transaction) on the disk under `directory`: what one commit per write allows."""
    path = directory / "ceiling.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (v) VALUES ('x')")
        conn.execute("COMMIT")
        done += 1
    rate = done / (time.perf_counter() - started)
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return rate


def count_tickets(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]


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


def measure(server: Server, door: Door, load: wrk.Load, db: Path) -> Result:
    script = graphql_errors_script(wrk.lua_script("POST", door.body.encode(), door.headers))
    before, cpu = count_tickets(db), server.cpu_seconds()
    text = wrk.report(server.url + door.path, script, load)
    measured = replace(wrk.parse(text), seconds=load.seconds)
    errors = int(re.search(r"^graphql errors: (\d+)", text, re.M)[1])
    server.settle()
    written, used = count_tickets(db) - before, server.cpu_seconds() - cpu
    acked = acknowledged(measured, errors)
    return Result(door, measured, acked, written, 1000 * used / max(written, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--docs", default=str(data.ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-docs", dest="write_docs", action="store_false")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("bench.writes measures the SQLite store (unset DATABASE_URL)")
    command = "python -m bench.writes " + shlex.join(sys.argv[1:])
    log = Path(tempfile.gettempdir()) / "tg-bench-servers.log"
    saved = data.prepare(TICKETS)
    with tempfile.TemporaryDirectory(prefix="tg-bench-writes-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data.data_dir(TICKETS), copy)
        ceiling = commit_ceiling(copy)
        print(f"bare sqlite3 commit loop (WAL, synchronous=FULL): {ceiling:,.0f} commits/s")
        env = {**run.SERVER_ENV, "TICKETGATE_DATA_DIR": str(copy)}
        servers: list[Server] = []
        with running(servers):
            server = Server(
                "ticketgate",
                [data.TICKETGATE, "serve", "--workers", str(args.workers)],
                env,
                log,
            )
            servers.append(server)
            server.wait_ready("/graphql")
            token = saved["token"]
            jwt = _login(server.url, saved)
            load = wrk.Load(connections=args.connections, seconds=args.seconds)
            db = copy / "ticketgate.sqlite3"
            results = []
            for door in doors(token, jwt):
                print(f"  {door.label} …", flush=True)
                results.append(measure(server, door, load, db))
            load_average = os.getloadavg()
    text = markdown(results, ceiling, load, args, command, load_average)
    print("\n" + text)
    if args.write_docs:
        report.write(Path(args.docs), LABEL, text)
        print(f"written to {args.docs}")


def _login(url: str, saved: dict) -> str:
    login = {"email": saved["email"], "password": saved["password"]}
    answer = httpx.post(url + "/api/v1/auth/login", json=login, timeout=30)
    answer.raise_for_status()
    return answer.json()["token"]


def markdown(results, ceiling, load, args, command, load_average) -> str:
    la = ", ".join(f"{x:.2f}" for x in load_average)
    lines = [
        f"### {LABEL}",
        "",
        f"`{command}` at commit {run._commit()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, SQLite (WAL, `synchronous=FULL`), "
        f"{args.workers} server process(es), "
        f"wrk -t{load.threads} -c{load.connections} -d{load.seconds}s, load average {la} at the "
        f"end. Bare sqlite3 commit loop on the same disk (one fsync'd commit per write): "
        f"**{ceiling:,.0f} commits/s**.",
        "",
        "| door | acknowledged creates/s | p50 ms | p99 ms | rows written | failed | "
        "server CPU ms per create |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m = r.measured
        rate = r.acknowledged / m.seconds
        failed = m.requests - r.acknowledged
        lines.append(
            f"| {r.door.label} | {rate:,.0f} | {m.p50_ms:,.1f} | {m.p99_ms:,.1f} | "
            f"{r.written:,} | {failed} | {r.cpu_ms_per_create:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
