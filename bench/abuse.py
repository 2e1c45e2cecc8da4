"""`make bench-abuse`: the longest stall of an unrelated request while attacks run (issue 14).

    python -m bench.abuse [--baseline 15] [--seconds 30] [--each 0] [--port N] [--nice -10]

A server on a copy of the small bench data set (/tmp/tg-bench-1000, bench/data.py), with the
default limits. A probe process sends a cheap signed-in request every PERIOD (GraphQL
`{ viewer { id } }` and a helpdesk page of 25 tickets, in turn, as a premium user whose budget
the probe cannot spend) and records each latency: first alone (the baseline), then while an
attacker process runs every attack of ATTACKS at once (and, with `--each S`, each attack alone
for S seconds), each phase on a fresh server (no budget spent by the one before). As root, the
server and the probe run at nice -10 (`--nice`): the share of a dedicated machine on this
shared one; the attacker keeps the default. Figures go to stdout; docs/reliability.md keeps
them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench import data
from bench.servers import HOST, Server, running

TICKETS = 1000
PERIOD = 0.015  # seconds between two probe requests
PROBE, ATTACKER, CUSTOMER = "probe", "mallory", "eve"
PASSWORD = "abuse-Pass-2026!"
SERVER_ENV = {  # the defaults, but the probe (premium) may not be throttled, nor webhooks sent
    "RATE_LIMIT_PREMIUM": "100000000/minute",
    "WEBHOOKS_ENABLED": "false",
    "SQLITE_SYNCHRONOUS": "FULL",
}
# What the costly GraphQL attack sends: the largest page with every comment of each ticket,
# aliased to just under the cost limit; one nested deeper; one far over the limit (refused).
PAGE = "tickets(first: 100) { edges { node { id title description comments(first: 100) "
PAGE += "{ edges { node { body author { username } } } } } } }"
COSTLY = "{ " + " ".join(f"p{i}: {PAGE}" for i in range(2)) + " }"
DEEP = "{ tickets(first: 100) { edges { node { " + "mergedInto { " * 12 + "id" + " }" * 16
OVER = "{ " + " ".join(f"p{i}: {PAGE}" for i in range(30)) + " }"


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [data.TICKETGATE, *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def prepare(directory: Path) -> dict[str, str]:
    """A copy of the bench data set with the probe, the attacker (an agent: sees every ticket)
    and a customer, each with an API token; the probe premium."""
    saved = data.prepare(TICKETS)
    shutil.copytree(data.data_dir(TICKETS), directory)
    env = {**os.environ, "TICKETGATE_DATA_DIR": str(directory), "LOG_LEVEL": "WARNING"}
    tokens = {"victim": saved["username"]}
    for name, role in ((PROBE, "agent"), (ATTACKER, "agent"), (CUSTOMER, "customer")):
        _cli(env, "create-user", name, "--role", role, "--password", PASSWORD)
        tokens[name] = _cli(env, "create-token", name, "--name", "abuse")
    with sqlite3.connect(directory / "ticketgate.sqlite3") as db:
        db.execute("UPDATE users SET is_premium = 1 WHERE username = ?", (PROBE,))
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the probe (its own process) -------------------------------------------------------------


def probe(url: str, token: str, stop_at: float, out, nice: int) -> None:
    """Send the probe's requests until `stop_at` (a time.time()); put (sent at, seconds,
    status) of each on `out`."""
    os.nice(nice)
    requests = [
        ("POST", "/graphql", {"json": {"query": "{ viewer { id } }"}, "headers": bearer(token)}),
        (
            "GET",
            "/helpdesk/api/tickets/?page_size=25",
            {"headers": {"Authorization": f"Token {token}"}},
        ),
    ]
    samples, n = [], 0
    with httpx.Client(base_url=url, timeout=60) as client:
        next_at = time.monotonic()
        while time.time() < stop_at:
            method, path, extra = requests[n % 2]
            sent, start = time.time(), time.perf_counter()
            status = client.request(method, path, **extra).status_code
            samples.append((sent, time.perf_counter() - start, status))
            n += 1
            next_at += PERIOD
            time.sleep(max(0.0, next_at - time.monotonic()))
    out.put(samples)


# -- the attacks (one process, lowest priority) -----------------------------------------------


async def guess_passwords(url: str, tokens: dict, until: float, seen: Counter) -> None:
    """HTTP Basic guesses at the bench agent's password, four at a time."""

    async def one(worker: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            n = 0
            while time.time() < until:
                pair = f"{tokens['victim']}:guess-{worker}-{n}".encode()
                auth = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
                seen[(await client.get("/helpdesk/api/tickets/", headers=auth)).status_code] += 1
                n += 1

    await asyncio.gather(*(one(w) for w in range(4)))


async def costly_graphql(url: str, tokens: dict, until: float, seen: Counter) -> None:
    """Documents just under the cost limit, deep ones and ones far over it, two at a time."""
    documents = [COSTLY, DEEP, OVER]

    async def one(worker: int) -> None:
        headers = bearer(tokens[ATTACKER])
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            n = worker
            while time.time() < until:
                body = {"query": documents[n % len(documents)]}
                answer = await client.post("/graphql", json=body)
                codes = {
                    e.get("extensions", {}).get("code") for e in answer.json().get("errors", [])
                }
                seen[f"{answer.status_code} {','.join(sorted(map(str, codes))) or 'ok'}"] += 1
                n += 1

    await asyncio.gather(*(one(w) for w in range(2)))


async def huge_bodies(url: str, tokens: dict, until: float, seen: Counter) -> None:
    """A 20 MiB upload (the file limit), a 900 KiB GraphQL string literal (under its body
    limit), 40 MiB without a declared length (over the body limit, counted as it streams)."""
    customer = bearer(tokens[CUSTOMER])
    literal = "{ viewer { id } } # " + "x" * (900 * 1024)
    big = b"x" * (20 * 1024 * 1024)

    async def streamed():
        for _ in range(40):
            yield b"y" * (1024 * 1024)

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while time.time() < until:
            files = {"file": ("big.bin", big, "application/octet-stream")}
            for answer in (
                await client.post("/support/files", files=files, headers=customer),
                await client.post("/graphql", json={"query": literal}, headers=customer),
                await client.post("/api/v1/tickets", content=streamed(), headers=customer),
            ):
                seen[answer.status_code] += 1


async def slow_uploads(url: str, tokens: dict, until: float, seen: Counter) -> None:
    """Fifty connections each declaring a 1 MiB body and sending a byte every 200 ms."""
    head = (
        f"POST /helpdesk/api/tickets/ HTTP/1.1\r\nHost: {HOST}\r\n"
        f"Authorization: Token {tokens[ATTACKER]}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1048576\r\n\r\n"
    ).encode()
    port = int(url.rsplit(":", 1)[1])

    async def one() -> None:
        while time.time() < until:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(head)
                while time.time() < until and not reader.at_eof():
                    writer.write(b" ")
                    await writer.drain()
                    await asyncio.sleep(0.2)
                writer.close()
                seen["held to the end"] += 1
            except OSError:
                seen["dropped by the server"] += 1
                await asyncio.sleep(0.2)

    await asyncio.gather(*(one() for _ in range(50)))


async def many_429s(url: str, tokens: dict, until: float, seen: Counter) -> None:
    """Eight anonymous clients as fast as they go: the address's budget is soon spent."""

    async def one() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            while time.time() < until:
                seen[(await client.get("/helpdesk/api/tickets/")).status_code] += 1

    await asyncio.gather(*(one() for _ in range(8)))


ATTACKS = {
    "password guessing": guess_passwords,
    "costly GraphQL": costly_graphql,
    "huge bodies": huge_bodies,
    "slow uploads": slow_uploads,
    "429 flood": many_429s,
}


def attack(url: str, tokens: dict, names: list[str], until: float, out) -> None:
    counters = {name: Counter() for name in names}

    async def run() -> None:
        await asyncio.gather(*(ATTACKS[n](url, tokens, until, counters[n]) for n in names))

    asyncio.run(run())
    out.put({name: dict(seen) for name, seen in counters.items()})


# -- one run ----------------------------------------------------------------------------------


def phase(url: str, tokens: dict, seconds: float, names: list[str], nice: int) -> tuple[list, dict]:
    """Probe for `seconds` while the attacks `names` run (none: the baseline)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start = time.time() + 1.0  # both processes started
    until = start + seconds
    workers = [context.Process(target=probe, args=(url, tokens[PROBE], until, out, nice))]
    if names:
        workers.append(context.Process(target=attack, args=(url, tokens, names, until, out)))
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds + 300) for _ in workers]
    for worker in workers:
        worker.join()
    samples = next(r for r in results if isinstance(r, list))
    seen = next((r for r in results if isinstance(r, dict)), {})
    return [s for s in samples if s[0] >= start], seen


def summary(label: str, samples: list, seen: dict) -> str:
    times = sorted(s[1] * 1000 for s in samples)
    failed = sum(1 for s in samples if s[2] != 200)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    line = (
        f"| {label} | {len(times)} | {failed} | {statistics.median(times):.1f} | {p99:.1f} "
        f"| {times[-1]:.1f} |"
    )
    attacks = "; ".join(
        f"{name}: " + ", ".join(f"{v} × {k}" for k, v in sorted(c.items(), key=str))  # noqa: RUF001
        for name, c in seen.items()
    )
    return line + (f" {attacks} |" if attacks else " — |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=float, default=15, help="seconds of probe alone")
    parser.add_argument("--seconds", type=float, default=30, help="seconds of all attacks")
    parser.add_argument("--each", type=float, default=0, help="seconds of each attack alone")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument(
        "--nice",
        type=int,
        default=-10 if os.geteuid() == 0 else 0,
        help="niceness of the server and the probe (default -10 as root: the share of a "
        "dedicated machine on a shared one; the attacker keeps 0)",
    )
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    log = Path(tempfile.gettempdir()) / "tg-bench-abuse.log"
    rows = []
    with tempfile.TemporaryDirectory(prefix="tg-bench-abuse-") as tmp:
        tokens = prepare(Path(tmp) / "data")
        env = {**SERVER_ENV, "TICKETGATE_DATA_DIR": str(Path(tmp) / "data")}
        plan = [("probe alone", args.baseline, [])]
        plan += [(name, args.each, [name]) for name in ATTACKS if args.each]
        plan.append(("all at once", args.seconds, list(ATTACKS)))
        for label, seconds, names in plan:  # a fresh server each: budgets not yet spent
            servers: list[Server] = []
            with running(servers):
                command = ["nice", "-n", str(args.nice), data.TICKETGATE, "serve"]
                servers.append(Server("ticketgate", command, env, log, port=args.port))
                servers[0].wait_ready("/healthz")
                rows.append(
                    summary(label, *phase(servers[0].url, tokens, seconds, names, args.nice))
                )
                rss = servers[0].rss_mib()
            print(rows[-1], flush=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(
        f"probe: a request every {PERIOD * 1000:.0f} ms; server and probe at nice {args.nice}; "
        f"load average {load}; "
        f"server RSS after the last phase {rss:.0f} MiB"
    )
    print(
        "| phase | probe requests | probe non-200 | median ms | p99 ms | max ms | attack answers |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
