"""The bench's one table (markdown), printed and kept in docs/benchmarks.md."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench import peer, wrk

RESULTS_MARK = "<!-- bench results: sections written by bench/run.py, newest first -->"


@dataclass
class Run:
    """Everything measured on one data set size, in one run."""

    tickets: int
    load: wrk.Load
    started: datetime
    rows: list = field(default_factory=list)  # run.Row
    raw: wrk.Measured | None = None
    raw_same_json: bool | None = None
    peer: wrk.Measured | str | None = None  # str: why there is no peer figure
    rss_mib: list[float] = field(default_factory=list)
    same_page: tuple[wrk.Measured, wrk.Measured] | None = None  # run.SAME_PAGE, in turn
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _ratio(ours: wrk.Measured | None, other: wrk.Measured | str | None) -> str:
    if ours is None or not isinstance(other, wrk.Measured) or not other.requests_per_second:
        return ""
    value = ours.requests_per_second / other.requests_per_second
    return f"{value:.3g}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _figures(m: wrk.Measured | None) -> list[str]:
    if m is None:
        return ["", "", ""]
    return [_number(m.requests_per_second), _number(m.p50_ms), _number(m.p99_ms)]


def table(run: Run) -> list[str]:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | floor req/s | x floor | x raw path "
        "| x django-helpdesk | req/s, 2nd pass |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in run.rows:
        s = row.scenario
        if row.ours is None or not row.ours.requests:
            note = row.note or "no answer within the run"
            lines.append(f"| {s.label} | {note} | | | | | | | |")
            continue
        cells = [
            s.label,
            *_figures(row.ours),
            _figures(row.floor)[0],
            _ratio(row.ours, row.floor),
            _ratio(row.ours, run.raw) if s.raw else "",
            (_ratio(row.ours, run.peer) or "n/a") if s.peer else "",
            _figures(row.again)[0],
        ]
        usual = (run.load.seconds, wrk.paired_load(run.load).seconds)
        if row.ours.seconds and row.ours.seconds not in usual:
            cells[0] += f" (wrk -d{row.ours.seconds:.0f}s)"
        problems = "; ".join(p for p in (row.ours.problems, row.floor and row.floor.problems) if p)
        if problems:
            cells[0] += f" ⚠ {problems}"
        lines.append("| " + " | ".join(cells) + " |")
    if run.raw:
        same = {True: "same JSON as ticketgate", False: "JSON DIFFERS", None: ""}
        label = f"raw path: the GraphQL 100 page by hand ({same[run.raw_same_json]})"
        lines.append(f"| {label} | " + " | ".join(_figures(run.raw)) + " | | | | | |")
    if isinstance(run.peer, wrk.Measured):
        load = peer.PEER_LOAD
        label = (
            "django-helpdesk 2.6.1 (Django runserver), the same page with Basic "
            f"(wrk -c{load.connections} -d{load.seconds:g}s)"
        )
        lines.append(f"| {label} | " + " | ".join(_figures(run.peer)) + " | | | | | |")
    elif run.peer:
        lines.append(f"| django-helpdesk peer | {run.peer} | | | | | | | |")
    return lines


def markdown(runs: list[Run], label: str, command: str, commit: str) -> str:
    first = runs[0]
    load = first.load
    out = [
        f"### {label}",
        "",
        f"`{command}` at commit {commit}, {first.started:%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs (`nproc`), wrk -t{load.threads} -c{load.connections} "
        f"-d{load.seconds:g}s; ticketgate and the floor in turn, {wrk.PAIRED_ROUNDS} runs of "
        f"{wrk.paired_load(load).seconds:g}s each, the median run of each side shown.",
    ]
    for run in runs:
        rss = " → ".join(f"{m:.0f} MiB" for m in run.rss_mib)
        when = "the scenarios" + (", then after a second pass" if len(run.rss_mib) > 1 else "")
        la = ", ".join(f"{x:.2f}" for x in run.load_average)
        out += [
            "",
            f"**{run.tickets:,} tickets** (with comments): load average {la} at the end; "
            f"ticketgate RSS after {when}: {rss}.",
            "",
            *table(run),
            *same_page(run),
        ]
    if len(runs) > 1:
        out += ["", *flatness(runs)]
    return "\n".join(out) + "\n"


def same_page(run: Run) -> list[str]:
    """The GraphQL page against the control panel's page of the same tickets, in turn."""
    if run.same_page is None:
        return []
    graphql, rest = run.same_page
    return [
        "",
        f"The same 100 tickets in turn ({wrk.PAIRED_ROUNDS} runs of each, the median run): "
        f"GraphQL page {graphql.requests_per_second:,.0f} req/s, control panel page "
        f"{rest.requests_per_second:,.0f} req/s: **{_ratio(graphql, rest)}x**.",
    ]


def flatness(runs: list[Run]) -> list[str]:
    """req/s of each scenario across the sizes, and smallest size ÷ largest size."""
    sizes = [r.tickets for r in runs]
    head = " | ".join(f"{n:,}" for n in sizes)
    lines = [
        f"| scenario (req/s) | {head} | slowdown {sizes[0]:,} → {sizes[-1]:,} |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for i, row in enumerate(runs[0].rows):
        figures = [r.rows[i].ours for r in runs]
        if any(m is None for m in figures):
            continue
        slowdown = figures[0].requests_per_second / figures[-1].requests_per_second
        cells = " | ".join(_number(m.requests_per_second) for m in figures)
        lines.append(f"| {row.scenario.label} | {cells} | {slowdown:.2f}x |")
    return lines


def write(path: Path, label: str, text: str, mark: str = RESULTS_MARK) -> None:
    """Put `text` into `path` under `mark`, replacing the section of the same label."""
    doc = path.read_text()
    if mark not in doc:
        raise SystemExit(f"{path} has no line {mark!r}")
    section = re.compile(rf"^### {re.escape(label)}\n.*?(?=^### |^## |\Z)", re.S | re.M)
    doc = section.sub("", doc)
    doc = doc.replace(mark, f"{mark}\n\n{text.rstrip()}\n", 1)
    path.write_text(re.sub(r"\n{3,}", "\n\n", doc))
