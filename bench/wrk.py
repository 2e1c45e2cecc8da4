"""Run `wrk` for one request shape and read its report (req/s, p50, p99, failures)."""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
from dataclasses import dataclass, replace

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.M)
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
DONE = re.compile(r"^\s*(\d+) requests in", re.M)
NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.M)
ERRORS = re.compile(r"^\s*Socket errors:.*$", re.M)


@dataclass(frozen=True)
class Load:
    """How hard wrk pushes: threads, connections, seconds, and its per-request timeout."""

    threads: int = 1
    connections: int = 8
    seconds: int = 6  # wrk takes whole seconds
    timeout_seconds: float = 30.0


PAIRED_ROUNDS = 3  # runs of ticketgate and of the floor, in turn, per scenario (bench.run)


def paired_load(load: Load) -> Load:
    """Each of the paired runs: half the time of one run (three take 1.5 times as long)."""
    return replace(load, seconds=max(1, math.ceil(load.seconds / 2)))


@dataclass(frozen=True)
class Measured:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    problems: str = ""  # non-2xx/3xx answers and socket errors, as wrk reports them
    seconds: int = 0  # how long wrk ran


def lua_script(method: str, body: bytes | None, headers: dict[str, str]) -> str:
    """A wrk script sending this method, body and headers on every request."""

    def quoted(text: str) -> str:
        return "[==[" + text + "]==]"

    lines = [f"wrk.method = {quoted(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {quoted(body.decode())}")
    lines += [f"wrk.headers[ {quoted(k)} ] = {quoted(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def parse(report: str) -> Measured:
    """The figures of a `wrk --latency` report."""
    latency = {m[0]: float(m[1]) * UNITS_MS[m[2]] for m in LATENCY.findall(report)}
    rate, done = RATE.search(report), DONE.search(report)
    if rate is None or done is None or set(latency) != {"50", "99"}:
        raise ValueError(f"unreadable wrk report:\n{report}")
    problems = [f"{m} non-2xx/3xx" for m in NON_2XX.findall(report)]
    problems += [e.strip() for e in ERRORS.findall(report)]
    return Measured(float(rate[1]), latency["50"], latency["99"], int(done[1]), "; ".join(problems))


def run(url: str, script: str, load: Load) -> Measured:
    return replace(parse(report(url, script, load)), seconds=load.seconds)


def report(url: str, script: str, load: Load) -> str:
    """wrk's whole report (what the script's `done` writes included)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = [
            "wrk",
            f"-t{load.threads}",
            f"-c{load.connections}",
            f"-d{load.seconds:g}s",
            f"--timeout={load.timeout_seconds:g}s",
            "--latency",
            "-s",
            lua.name,
            url,
        ]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout
