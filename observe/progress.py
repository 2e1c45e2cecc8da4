"""Progress of long command-line work (seed, migrate, import-helpdesk, the bench's seeding),
drawn with rich on stderr when stderr is a terminal: piped or in a log, the commands stay
quiet. The one progress library of the project (tests/test_progress.py)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


def _console():
    """rich's console on stderr, or None off a terminal (nothing is drawn)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(file=sys.stderr)


@contextlib.contextmanager
def bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """`advance(n)` moves a bar towards `total` (does nothing off a terminal)."""
    console = _console()
    if console is None:
        yield lambda n: None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


@contextlib.contextmanager
def spinner(description: str) -> Iterator[None]:
    """A spinner while work of unknown length runs (terminal only)."""
    console = _console()
    if console is None:
        yield
        return
    with console.status(description):
        yield
