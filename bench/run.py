"""`make bench`: every door of ticketgate against the floor, the raw path and django-helpdesk,
all measured in one run, printed as one table and written to docs/benchmarks.md.

    python -m bench.run [--tickets 10000] [--seconds 6] [--connections 8] [--no-peer]
    python -m bench.run --tickets 10000,1000000 --only helpdesk-token,stats-v2   (flatness)

Needs `wrk` on the PATH (the Makefile target installs it). Data sets live in
/tmp/tg-bench-<N> (bench/data.py), seeded on first use and reused. Every server it starts
listens on a free port of 127.0.0.1 and is stopped on the way out, even on error.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import data, peer, report, scenarios, wrk
from bench.servers import Server, running

PYTHON = sys.executable
# A row that completes fewer requests than this is run again for longer (its first requests
# finish only after a full round of slow answers, which would bias a short run).
MIN_REQUESTS, MAX_SECONDS = 30, 60
# The GraphQL page and a REST page of the same tickets: "never slower" is measured in turn.
SAME_PAGE = ("graphql-100", "control-panel")
# Bench settings of the server under test: no webhook worker, platform v1 and GraphQL cost
# budgets that the load cannot spend (the limiters still run), SQLite writes left at FULL.
SERVER_ENV = {
    "WEBHOOKS_ENABLED": "false",
    "RATE_LIMIT_STANDARD": "100000000/minute",
    "RATE_LIMIT_PREMIUM": "100000000/minute",
    "GRAPHQL_COST_PER_MINUTE": "1000000000000",
    "SQLITE_SYNCHRONOUS": "FULL",
}


@dataclass(frozen=True)
class Shot:
    """One answer captured from ticketgate: what the floor serves for the scenario."""

    status: int
    content_type: str
    body: bytes
    etag: str | None

    def as_json(self) -> dict:
        body = base64.b64encode(self.body).decode()
        return {"status": self.status, "content_type": self.content_type, "body": body}


@dataclass
class Row:
    scenario: scenarios.Scenario
    shot: Shot | None = None
    note: str = ""  # why it was not measured
    ours: wrk.Measured | None = None
    again: wrk.Measured | None = None  # the second pass
    floor: wrk.Measured | None = None


def capture(client: httpx.Client, s: scenarios.Scenario, headers: dict[str, str]) -> Shot:
    answer = client.request(s.method, s.path, content=s.body, headers={**s.headers, **headers})
    ctype = answer.headers.get("content-type", "")
    return Shot(answer.status_code, ctype, answer.content, answer.headers.get("etag"))


def check(client: httpx.Client, s: scenarios.Scenario) -> Row:
    """One real request: the bytes for the floor, or why the scenario cannot be measured."""
    shot = capture(client, s, {})
    if shot.status != 200 or not shot.body:
        return Row(s, note=f"answered {shot.status} ({len(shot.body)} bytes)")
    if not s.conditional:
        return Row(s, shot)
    time.sleep(0.5)  # a credential's first use is recorded after its answer (a new version)
    shot = capture(client, s, {})
    if not shot.etag:
        return Row(s, note="n/a: no ETag in the answer")
    shot = capture(client, s, {"If-None-Match": shot.etag})
    if shot.status != 304:
        return Row(s, note=f"answered {shot.status} to If-None-Match")
    return Row(s, shot)


def refresh_etag(server: Server, row: Row) -> None:
    """A conditional row's current ETag: any write since its check (a login's last_login_at,
    a token's last_used_at) changed the store's version, and with it the tag."""
    if row.scenario.conditional and row.shot:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            capture(client, row.scenario, {})  # may record the token's use, after answering
            time.sleep(0.5)
            row.shot = replace(row.shot, etag=capture(client, row.scenario, {}).etag)


def single_requests(url: str, s: scenarios.Scenario, headers: dict, runs: int) -> wrk.Measured:
    """Latency of `runs` requests one after another (after one to warm up)."""
    took = []
    with httpx.Client(timeout=120) as client:
        for i in range(runs + 1):
            started = time.perf_counter()
            answer = client.request(s.method, url, content=s.body, headers=headers)
            answer.read()
            if i:
                took.append((time.perf_counter() - started) * 1000)
    took.sort()
    p99 = took[min(len(took) - 1, round(0.99 * len(took)))]
    return wrk.Measured(1000 / statistics.mean(took), statistics.median(took), p99, runs)


def measure(server: Server, path: str, row: Row, load: wrk.Load, runs: int) -> wrk.Measured:
    s = row.scenario
    headers = dict(s.headers)
    if s.conditional:
        headers["If-None-Match"] = row.shot.etag
    if s.single:
        return single_requests(server.url + path, s, headers, runs)
    script = wrk.lua_script(s.method, s.body, headers)
    measured = wrk.run(server.url + path, script, load)
    server.settle()
    if measured.requests < MIN_REQUESTS and load.seconds < MAX_SECONDS:
        needed = load.seconds * MIN_REQUESTS / max(measured.requests, 1)
        measured = wrk.run(
            server.url + path, script, replace(load, seconds=min(MAX_SECONDS, math.ceil(needed)))
        )
        server.settle()
    return measured


def start_ticketgate(tickets: int, log: Path) -> Server:
    env = {**SERVER_ENV, "TICKETGATE_DATA_DIR": str(data.data_dir(tickets))}
    os.environ.pop("DATABASE_URL", None)
    server = Server("ticketgate", [data.TICKETGATE, "serve"], env, log)
    server.wait_ready("/graphql")
    return server


def credentials(url: str, tickets: int, saved: dict) -> scenarios.Credentials:
    login = {"email": saved["email"], "password": saved["password"]}
    answer = httpx.post(url + "/api/v1/auth/login", json=login, timeout=30)
    answer.raise_for_status()
    return scenarios.Credentials(
        token=saved["token"],
        username=saved["username"],
        password=saved["password"],
        jwt=answer.json()["token"],
        deep_ticket_id=data.most_commented_ticket(tickets),
    )


def start_references(tickets: int, rows: list[Row], token: str, log: Path) -> list[Server]:
    """The floor (serving the bytes captured in `rows`) and the raw path, ready."""
    shots = data.data_dir(tickets) / "floor-responses.json"
    shots.write_text(json.dumps({r.scenario.name: r.shot.as_json() for r in rows if r.shot}))
    floor = Server("floor", [PYTHON, "-m", "bench.floor", "--responses", str(shots)], {}, log)
    raw_db = str(data.database(tickets))
    raw_command = [PYTHON, "-m", "bench.raw_path", "--token", token, "--database", raw_db]
    references = [floor, Server("raw path", raw_command, {}, log)]
    for server in references:
        server.wait_ready()
    return references


def paired(
    ours: Server, floor: Server, row: Row, load: wrk.Load, runs: int
) -> tuple[wrk.Measured, wrk.Measured]:
    """Ticketgate and the floor in turn (`in_turn`)."""
    return in_turn(
        (ours, row.scenario.path, row), (floor, f"/floor/{row.scenario.name}", row), load, runs
    )


def in_turn(first: tuple, second: tuple, load: wrk.Load, runs: int) -> tuple[wrk.Measured, ...]:
    """Two (server, path, row) measured in turn, `wrk.PAIRED_ROUNDS` short runs each: the
    median run of each. This shared machine's speed drifts by tens of per cent within a
    minute (the floor alone moved from 7,800 to 15,300 req/s between two scenarios of one
    run), so one run of each, one after the other, gave ratios that moved as much;
    alternating runs see the same drift on both sides."""
    short = wrk.paired_load(load)
    found: tuple[list, list] = ([], [])
    for _ in range(wrk.PAIRED_ROUNDS):
        for side, (server, path, row) in zip(found, (first, second), strict=True):
            side.append(measure(server, path, row, short, runs))
    return _median_run(found[0]), _median_run(found[1])


def _median_run(runs: list[wrk.Measured]) -> wrk.Measured:
    return sorted(runs, key=lambda m: m.requests_per_second)[len(runs) // 2]


def bench_size(tickets: int, args, servers: list[Server], log: Path) -> report.Run:
    """Every chosen scenario on one data set size (servers started here are listed in
    `servers`, so the caller stops them on error)."""
    saved = data.prepare(tickets)
    ours = start_ticketgate(tickets, log)
    servers.append(ours)
    creds = credentials(ours.url, tickets, saved)
    chosen = [s for s in scenarios.build(creds) if not args.only or s.name in args.only]
    with httpx.Client(base_url=ours.url, timeout=120) as client:
        rows = [check(client, s) for s in chosen]
    for row in rows:
        if row.note:
            print(f"  {row.scenario.name}: not measured, {row.note}", flush=True)
    floor, raw = start_references(tickets, rows, creds.token, log)
    servers += [floor, raw]

    load = wrk.Load(connections=args.connections, seconds=args.seconds)
    result = report.Run(tickets=tickets, load=load, started=datetime.now(UTC), rows=rows)
    raw_row = Row(scenarios.raw_path(creds))
    result.raw_same_json = _same_page(rows, raw.url, raw_row.scenario)
    measured = [r for r in rows if r.shot]
    for row in measured:
        name = row.scenario.name
        print(f"  {name} …", flush=True)
        refresh_etag(ours, row)
        if row.scenario.single:
            row.ours = measure(ours, row.scenario.path, row, load, args.single_runs)
        else:
            row.ours, row.floor = paired(ours, floor, row, load, args.single_runs)
    if any(r.scenario.raw for r in rows):
        print("  raw path …", flush=True)
        result.raw = measure(raw, raw_row.scenario.path, raw_row, load, args.single_runs)
    pages = {r.scenario.name: r for r in measured if r.scenario.name in SAME_PAGE}
    if len(pages) == len(SAME_PAGE):
        print("  GraphQL page and control panel page, in turn …", flush=True)
        sides = [(ours, pages[name].scenario.path, pages[name]) for name in SAME_PAGE]
        result.same_page = in_turn(*sides, load, args.single_runs)
    if args.peer and any(r.scenario.peer for r in rows):
        print("  django-helpdesk peer …", flush=True)
        result.peer = peer.measure(tickets, creds.basic, servers, log)
    result.rss_mib = [ours.rss_mib()]
    if args.repeat:
        for row in measured:
            print(f"  {row.scenario.name} (again) …", flush=True)
            refresh_etag(ours, row)
            row.again = measure(ours, row.scenario.path, row, load, args.single_runs)
        result.rss_mib.append(ours.rss_mib())
    result.load_average = os.getloadavg()
    for server in (ours, floor, raw):
        server.stop()
        servers.remove(server)
    return result


def _same_page(rows: list[Row], raw_url: str, raw: scenarios.Scenario) -> bool | None:
    """Whether the raw path answers the same `data` as ticketgate's GraphQL 100 page (whose
    `extensions.cost` report the raw path does not compute)."""
    ours = next((r.shot for r in rows if r.scenario.name == "graphql-100" and r.shot), None)
    if ours is None:
        return None
    with httpx.Client(base_url=raw_url) as client:
        theirs = capture(client, raw, {})
    return json.loads(theirs.body)["data"] == json.loads(ours.body)["data"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", default="10000", help="data set size(s), comma-separated")
    parser.add_argument("--seconds", type=int, default=6, help="wrk duration per run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--single-runs", type=int, default=10, help="for single-request rows")
    parser.add_argument("--only", default="", help="scenario names, comma-separated")
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument("--no-repeat", dest="repeat", action="store_false")
    parser.add_argument("--label", default="latest `make bench`", help="docs section title")
    parser.add_argument("--docs", default=str(data.ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-docs", dest="write_docs", action="store_false")
    args = parser.parse_args()
    args.only = {n for n in args.only.split(",") if n}
    sizes = [int(n) for n in args.tickets.split(",")]
    command = "python -m bench.run " + shlex.join(sys.argv[1:])
    log = Path(tempfile.gettempdir()) / "tg-bench-servers.log"
    print(f"server logs: {log}", flush=True)
    signal.signal(signal.SIGTERM, _stop)  # so that `running` stops the servers
    servers: list[Server] = []
    with running(servers):
        runs = [bench_size(n, args, servers, log) for n in sizes]
    text = report.markdown(runs, args.label, command, _commit())
    print("\n" + text)
    if args.write_docs:
        report.write(Path(args.docs), args.label, text)
        print(f"written to {args.docs}")


def _stop(signum, frame) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def _commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=data.ROOT, capture_output=True, text=True).stdout

    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!*.md").strip()
    dirty = " (with uncommitted code changes)" if changed else ""
    return git("rev-parse", "--short", "HEAD").strip() + dirty


if __name__ == "__main__":
    main()
