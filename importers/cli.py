"""`ticketgate import-helpdesk`: the command line around importers/helpdesk.py."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import shlex
import tempfile
from pathlib import Path

from importers import helpdesk, verify
from importers.django_db import Source, SQLiteSource, open_source
from models import db
from observe import progress
from resolvers import custom_fields
from resolvers.files import LocalStorage
from settings import Settings


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "import-helpdesk", help="import a django-helpdesk database (users, tickets, history)"
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--database",
        metavar="URL",
        help="the helpdesk's database: sqlite:///path/db.sqlite3 or postgres://user@host/db",
    )
    where.add_argument(
        "--api", metavar="URL", help="or its REST API root, e.g. https://host/helpdesk/api/"
    )
    parser.add_argument("--user", help="with --api: a staff user of the helpdesk")
    parser.add_argument("--password", help="with --api: their password (asked when omitted)")
    parser.add_argument(
        "--media-root", type=Path, help="the helpdesk's MEDIA_ROOT (attachment files)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="only list what would be imported and what not"
    )
    parser.add_argument("--batch", type=int, default=helpdesk.BATCH, help=argparse.SUPPRESS)


def run(settings: Settings, args) -> None:
    """Import, print the report and the verification table; exit 1 on mismatches."""
    if not 1 <= args.batch <= 10_000:
        raise SystemExit("ticketgate: --batch must be between 1 and 10000")
    if args.api is None and (args.user or args.password is not None):
        raise SystemExit("ticketgate: --user and --password go with --api")
    if args.api is not None and args.media_root is not None:
        raise SystemExit("ticketgate: --media-root goes with --database (--api downloads files)")
    if args.media_root is not None and not args.media_root.is_dir():
        raise SystemExit(f"ticketgate: --media-root {args.media_root} is not a directory")
    notes: list[str] = []
    try:
        if args.api:
            report, checks = asyncio.run(_through_api(settings, args, notes))
        else:
            report, checks = asyncio.run(_from_database(settings, args))
    except ValueError as exc:
        raise SystemExit(f"ticketgate: {exc}") from None
    print("\n".join([*notes, _summary(report, settings)]))
    print(verify.table(checks))
    if not report.dry_run and any(c.mismatches for c in checks):
        raise SystemExit(1)


async def _from_database(settings: Settings, args):
    return await _import(settings, args, await open_source(args.database), args.media_root)


async def _through_api(settings: Settings, args, notes: list[str]):
    """Copy what the API shows into a temporary helpdesk database, then import that."""
    import httpx  # (with httpx's own command line: not loaded for the other commands)

    from importers import helpdesk_api

    if not args.user:
        raise ValueError("--api needs --user (a staff user of the helpdesk)")
    password = args.password if args.password is not None else getpass.getpass("Password: ")
    with tempfile.TemporaryDirectory(prefix="ticketgate-import-") as workdir:
        auth = httpx.BasicAuth(args.user, password)
        async with httpx.AsyncClient(auth=auth, timeout=60, follow_redirects=True) as client:
            made = await helpdesk_api.snapshot(client, args.api, Path(workdir))
        notes += made.notes
        source = SQLiteSource(made.database)
        return await _import(settings, args, source, made.media_root)


async def _import(settings: Settings, args, source: Source, media_root: Path | None):
    try:
        layout = await helpdesk.Layout.read(source)  # refuses anything but a helpdesk first
        total = (await source.fetch("SELECT COUNT(*) AS n FROM helpdesk_ticket"))[0]["n"]
        await db.open_db(settings.database_url)
        try:
            with progress.bar("importing tickets", total) as advance:
                options = helpdesk.Options(
                    storage=LocalStorage(settings.data_dir / "files"),
                    media_root=media_root,
                    dry_run=args.dry_run,
                    batch=args.batch,
                    progress=advance,
                )
                report = await helpdesk.run(source, options)
            return report, await verify.verify(source, layout, report, _configured(settings))
        finally:
            await db.close_db()
    finally:
        await source.close()


def _configured(settings: Settings) -> set[str]:
    return {f.name for f in custom_fields.definitions(settings.helpdesk_custom_fields)}


def _summary(report: helpdesk.Report, settings: Settings) -> str:
    verb = "would import" if report.dry_run else "imported"
    lines = [
        f"{kind}: {t.imported} {verb}, {t.present} already in ticketgate, {t.skipped} skipped"
        for kind, t in report.tallies.items()
        if kind != "custom fields"
    ]
    fields = report.tallies["custom fields"]
    defined = len({d["name"] for d in report.custom_fields} & _configured(settings))
    lines.insert(
        2,
        f"custom fields: {fields.imported} found, {defined} defined in HELPDESK_CUSTOM_FIELDS,"
        f" {fields.skipped} skipped",
    )
    if report.problems:
        lines.append(f"{report.problem_count} items not (fully) mapped:")
        lines += [f"  {p}" for p in report.problems]
        if report.problem_count > len(report.problems):
            lines.append(f"  … and {report.problem_count - len(report.problems)} more")
    wanted = report.custom_fields_json
    if report.custom_fields and custom_fields.definitions(wanted) != custom_fields.definitions(
        settings.helpdesk_custom_fields
    ):
        lines.append("custom fields: start ticketgate with this environment variable:")
        lines.append(f"  HELPDESK_CUSTOM_FIELDS={shlex.quote(wanted)}")
    return "\n".join(lines)
