"""The table `import-helpdesk` ends with: per kind, how many rows the source has, how many of
them ticketgate holds (same id and identity), how many the import skipped (each reported) and
the mismatches left, with the first ids missing. Both sides are read afresh, in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from importers import target
from importers.django_db import Row, Source
from importers.helpdesk import Layout, Report
from resolvers import sql

SAMPLE = 10  # missing ids listed per kind


@dataclass
class Check:
    kind: str
    source: int = 0
    ticketgate: int = 0
    skipped: int = 0
    missing: list[Any] = field(default_factory=list)

    @property
    def mismatches(self) -> int:
        return self.source - self.ticketgate - self.skipped


async def verify(
    source: Source, layout: Layout, report: Report, configured_fields: set[str]
) -> list[Check]:
    """One Check per kind; `configured_fields` names the custom fields ticketgate defines."""
    checks = [
        await _compare(
            "users",
            source.keyed("auth_user", ["id", "username"]),
            lambda r: r["username"],
            lambda rows: _present("users", "username", [r["username"] for r in rows]),
        ),
        await _compare(
            "queues",
            source.keyed("helpdesk_queue", ["id", "slug"]),
            lambda r: r["slug"],
            lambda rows: _present("queues", "slug", [r["slug"] for r in rows]),
        ),
        _fields(report, configured_fields),
        await _compare(
            "tickets",
            source.keyed("helpdesk_ticket", ["id", "title"]),
            lambda r: (r["id"], r["title"][:255]),
            lambda rows: _pairs_present("tickets", "title", rows),
        ),
        await _compare(
            "followups",
            source.keyed("helpdesk_followup", ["id", "ticket_id"]),
            lambda r: (r["id"], r["ticket_id"]),
            lambda rows: _pairs_present("comments", "ticket_id", rows),
        ),
    ]
    if layout.attachments:
        checks.append(
            await _compare(
                "attachments",
                source.keyed(layout.attachments, ["id", "followup_id"]),
                lambda r: (r["id"], r["followup_id"]),
                lambda rows: _pairs_present("attachments", "comment_id", rows),
            )
        )
    if layout.has("helpdesk_ticketcc"):
        checks.append(
            await _compare(
                "ccs",
                _ccs(source),
                lambda r: (r["ticket_id"], (r["email"] or "").strip().lower()),
                _contacts_present,
            )
        )
    for check in checks:
        check.skipped = report.tallies[check.kind].skipped if check.kind in report.tallies else 0
    return checks


async def _compare(
    kind: str,
    batches: AsyncIterator[list[Row]],
    key: Callable[[Row], Any],
    present: Callable[[list[Row]], Awaitable[set]],
) -> Check:
    check = Check(kind)
    async for rows in batches:
        found = await present(rows)
        check.source += len(rows)
        for r in rows:
            if key(r) in found:
                check.ticketgate += 1
            elif len(check.missing) < SAMPLE:
                check.missing.append(r["id"])
    return check


async def _present(table: str, column: str, values: list) -> set:
    rows = await sql.fetch(
        f"SELECT {column} FROM {table} WHERE {column} IN ({target.marks(len(values))})", values
    )
    return {r[column] for r in rows}


async def _pairs_present(table: str, column: str, rows: list[Row]) -> set:
    """(id, column) of the rows of `table` with the ids of `rows`."""
    ids = [r["id"] for r in rows]
    found = await target.pairs(
        f"SELECT id, {column} FROM {table} WHERE id IN ({target.marks(len(ids))})", ids
    )
    return set(found.items())


async def _ccs(source: Source) -> AsyncIterator[list[Row]]:
    async for rows in source.keyed("helpdesk_ticketcc", ["id", "ticket_id", "email", "user_id"]):
        users = {r["user_id"] for r in rows if r["user_id"] is not None and not r["email"]}
        emails = {}
        if users:
            emails = {
                u["id"]: u["email"]
                for u in await source.fetch(
                    f"SELECT id, email FROM auth_user WHERE id IN ({', '.join('?' * len(users))})",
                    sorted(users),
                )
            }
        yield [{**r, "email": r["email"] or emails.get(r["user_id"])} for r in rows]


async def _contacts_present(rows: list[Row]) -> set:
    ids = sorted({r["ticket_id"] for r in rows})
    found = await sql.fetch(
        f"SELECT ticket_id, email FROM ticket_contacts WHERE ticket_id IN"
        f" ({target.marks(len(ids))})",
        ids,
    )
    return {(r["ticket_id"], r["email"]) for r in found}


def _fields(report: Report, configured: set[str]) -> Check:
    check = Check("custom fields")
    check.source = len(report.custom_fields) + report.tallies["custom fields"].skipped
    names = [d["name"] for d in report.custom_fields]
    check.ticketgate = len([n for n in names if n in configured])
    check.missing = [n for n in names if n not in configured][:SAMPLE]
    return check


def table(checks: list[Check]) -> str:
    """The checks as a plain-text table, with the missing ids below it."""
    lines = [f"{'kind':<14}{'source':>10}{'ticketgate':>12}{'skipped':>9}{'mismatches':>12}"]
    for c in checks:
        lines.append(
            f"{c.kind:<14}{c.source:>10}{c.ticketgate:>12}{c.skipped:>9}{c.mismatches:>12}"
        )
    for c in checks:
        if c.missing:
            more = " …" if c.source - c.ticketgate > len(c.missing) else ""
            listed = ", ".join(str(m) for m in c.missing)
            lines.append(f"not in ticketgate: {c.kind} {listed}{more}")
    return "\n".join(lines)
