"""The lean read path: quick reads run on the event loop, slow ones move to a thread."""

from __future__ import annotations

import threading
import time

import pytest

from resolvers import reads
from tests.helpers import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the reader pool is SQLite's")


def _where_each_step_ran(steps: int):
    """A read of `steps` statements that notes the thread each answer came back on."""
    seen = []
    for n in range(steps):
        rows = yield ("SELECT ? + 0", [n])
        seen.append((rows[0][0], threading.current_thread().name))
    return seen


async def test_a_quick_read_runs_on_the_event_loop(customer, monkeypatch):
    monkeypatch.setattr(reads, "INLINE_WORK_SECONDS", 1.0)  # quick however busy the machine is
    seen = await reads.run(_where_each_step_ran(3))
    assert seen == [(n, threading.current_thread().name) for n in range(3)]


@pytest.fixture
def fresh_readers():
    """Readers made under this test's settings, and made again after it."""
    reads.close()
    yield
    reads.close()


async def test_a_read_past_its_budget_moves_to_a_thread(customer, monkeypatch, fresh_readers):
    monkeypatch.setattr(reads, "INLINE_SECONDS", -1.0)  # every statement is already late
    monkeypatch.setattr(reads, "PROGRESS_STEPS", 1)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"

    def read():
        rows = yield (f"{slow} SELECT COUNT(*) FROM n", [])
        return rows[0][0], threading.current_thread().name

    count, thread = await reads.run(read())
    assert count == 5000
    assert thread.startswith("sqlite-reader")
    assert [v for v, _ in await reads.run(_where_each_step_ran(2))] == [0, 1]


@pytest.mark.parametrize("wall_limit, moves", [(5.0, False), (0.01, True)])
async def test_only_the_reads_own_cpu_time_counts_until_the_wall_limit(
    customer, monkeypatch, fresh_readers, wall_limit, moves
):
    """Time the read spends not running (preempted, waiting for the GIL) keeps it on the loop
    (a busy machine would otherwise move every read to the pool); waiting past the wall limit
    (the disk) moves it."""
    monkeypatch.setattr(reads, "INLINE_SECONDS", 0.005)
    monkeypatch.setattr(reads, "INLINE_WALL_SECONDS", wall_limit)
    monkeypatch.setattr(reads, "PROGRESS_STEPS", 1)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)"

    def read():
        yield ("SELECT 1", [])
        time.sleep(0.03)  # wall time passes, no CPU time
        rows = yield (f"{slow} SELECT COUNT(*) FROM n", [])
        return rows[0][0], threading.current_thread().name

    count, thread = await reads.run(read())
    assert count == 50
    assert thread.startswith("sqlite-reader") is moves


async def test_a_read_whose_own_work_runs_past_its_budget_moves_to_a_thread(customer):
    """Rendering between statements counts too (a costly GraphQL document would otherwise hold
    the event loop for all of its rows)."""

    def read():
        rows = yield ("SELECT 1", [])
        busy_until = time.thread_time() + 2 * reads.INLINE_WORK_SECONDS
        while time.thread_time() < busy_until:  # (stands for rendering the rows: CPU time)
            pass
        rows = yield ("SELECT ?", [rows[0][0] + 1])
        return rows[0][0], threading.current_thread().name

    value, thread = await reads.run(read())
    assert value == 2
    assert thread.startswith("sqlite-reader")
