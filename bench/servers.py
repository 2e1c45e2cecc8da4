"""Start, probe and stop the servers the harness measures (each in its own process group)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

HOST = "127.0.0.1"
LOG_LEVEL = "WARNING"  # uvicorn's access log off: a log line per request would dominate


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def serve(app, port: int) -> None:
    """Run `app` under uvicorn with the options `ticketgate serve` uses (commands.py `_serve`)."""
    uvicorn.run(app, host=HOST, port=port, log_level=LOG_LEVEL.lower())


class Server:
    """A server process on a free port of 127.0.0.1; `stop()` ends its whole process group."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        log: Path,
        *,
        port_as_address: bool = False,  # `command HOST:PORT` (Django) instead of `--port PORT`
        port: int = 0,  # 0: a free one
    ):
        self.name, self.port = name, port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._log = log.open("ab")
        where = [f"{HOST}:{self.port}"] if port_as_address else ["--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, *where],
            env={**os.environ, **env, "LOG_LEVEL": LOG_LEVEL},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/", attempts: int = 300) -> None:
        """Until it answers `path` (`attempts` tries, 0.1 s apart)."""
        for _ in range(attempts):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                httpx.get(self.url + path, timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start on {self.url}")

    def rss_mib(self) -> float:
        """Resident memory of the server process (VmRSS of /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def settle(self) -> None:
        """Wait until the server is idle: it has worked off what a load generator left in
        flight when it stopped (slow requests would otherwise eat into the next measurement).
        Idle = under 20 ms of CPU in 0.5 s, whatever else runs on the machine."""
        deadline = time.monotonic() + 300
        used = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - used < 0.02:
                return
            used = now

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


@contextlib.contextmanager
def running(servers: list[Server]) -> Iterator[None]:
    """Stop every server in `servers` on the way out, even on error (the list may grow)."""
    try:
        yield
    finally:
        for server in servers:
            server.stop()
