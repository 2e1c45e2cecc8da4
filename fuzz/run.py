"""Fuzz a freshly seeded server: schemathesis against the three OpenAPI documents and the
GraphQL schema, each for `--seconds`, asserting no 5xx, no masked internal error and no
traceback in answers or in the server's log. Not part of `make test` (docs/security.md).

    python -m fuzz.run [--seconds 60] [--port 8765] [--only platform_v1,graphql]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

import httpx

from fuzz.hooks import RELAXED, UNEXPECTED

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGETS = {  # name: (where its schema is read, the demo user it signs in as)
    "platform_v1": ("/api/v1/openapi.json", "admin"),
    "control_panel": ("/support/openapi.json", "customer"),  # (its operations are customers')
    "helpdesk": ("/helpdesk/api/openapi.json", "admin"),
    "graphql": ("/graphql", "admin"),
}


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "ticketgate"), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    out = log.open("w")
    server = subprocess.Popen(
        [str(BIN / "ticketgate"), "serve", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz")
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"fuzz: the server did not start (see {log})")


def _fuzz(name: str, url: str, token: str, seconds: int, report: Path) -> tuple[int, int, int]:
    """Run schemathesis on one target: (cases generated, failures of the check, errors of the
    tool itself, such as a Hypothesis crash, which are reported but do not fail the run)."""
    command = [
        str(BIN / "st"),
        "run",
        url,
        "--checks",
        "no_internal_error",
        "--max-time",
        str(seconds),
        "--header",
        f"Authorization: Bearer {token}",
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(report / f"{name}.xml"),
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz.hooks", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    output = done.stdout + done.stderr
    (report / f"{name}.txt").write_text(output)
    generated = sum(int(n) for n in re.findall(r"(\d+) generated", output))
    try:
        junit = ElementTree.parse(report / f"{name}.xml").getroot()
    except (OSError, ElementTree.ParseError):
        return generated, 0, 1
    return generated, len(junit.findall(".//failure")), len(junit.findall(".//error"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="fuzz")
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--only", default=",".join(TARGETS))
    parser.add_argument("--report", default=str(ROOT / "fuzz-report"))
    args = parser.parse_args(argv)
    report = Path(args.report)
    report.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="tg-fuzz-"))
    env = {
        **os.environ,
        "TICKETGATE_DATA_DIR": str(data),
        **{name.upper(): str(value).lower() for name, value in RELAXED.items()},
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    _cli(env, "migrate")
    _cli(env, "seed", "--demo")
    tokens = {user: _cli(env, "create-token", user) for _, user in TARGETS.values()}
    log = report / "server.log"
    server = _serve(env, args.port, log)
    failed = []
    try:
        for name in args.only.split(","):
            schema, user = TARGETS[name]
            url = f"http://127.0.0.1:{args.port}{schema}"
            generated, failures, errors = _fuzz(name, url, tokens[user], args.seconds, report)
            print(
                f"== {name}: {generated} cases, {failures} failing operations,"
                f" {errors} fuzzer errors (details: {report / name}.txt)",
                flush=True,
            )
            if failures:
                failed.append(name)
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(data, ignore_errors=True)
    errors = log.read_text().count(UNEXPECTED)
    print(f"== server log: {errors} unexpected errors ({log})")
    if failed or errors:
        raise SystemExit(f"fuzz: failures in {', '.join(failed) or 'the server log'}")


if __name__ == "__main__":
    main()
