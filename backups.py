"""`ticketgate backup PATH` and `ticketgate restore PATH` (docs/operations.md).

A backup is a directory: `ticketgate.sqlite3` (SQLite only: a consistent copy made with
SQLite's online backup API while the server keeps serving and writing), `files/` (the
attachments) and `secret_key` (when the data dir has one: it signs the login JWTs). On
PostgreSQL the database is left to `pg_dump` / `pg_restore`; the attachments and the key are
copied all the same.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from settings import Settings

DATABASE = "ticketgate.sqlite3"
PG_ADVICE = (
    "PostgreSQL: back the database up with `pg_dump --format=custom DBNAME > {path}/db.dump`"
    " and restore it with `pg_restore --clean --dbname DBNAME {path}/db.dump`"
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite://").split("?", 1)[0])


def backup(settings: Settings, target: Path) -> list[str]:
    """Copy the database (SQLite), the attachments and the secret key into `target`, a new
    or empty directory. Returns what was done, line by line."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new directory")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    lines = []
    if settings.is_sqlite:
        source = sqlite_path(settings.database_url)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        _sqlite_copy(source, target / DATABASE)
        lines.append(f"database: {target / DATABASE}")
    else:
        lines.append(PG_ADVICE.format(path=target))
    lines += _copy_files(settings.data_dir, target)
    return lines


def restore(settings: Settings, source: Path, *, force: bool = False) -> list[str]:
    """Put a backup made by `backup` in place (with the server stopped). An existing SQLite
    database is kept beside it as `*.before-restore`, and only with `force`."""
    if not source.is_dir():
        raise BackupError(f"{source} is not a backup directory")
    lines = []
    if settings.is_sqlite:
        saved = source / DATABASE
        if not saved.exists():
            raise BackupError(f"{source} holds no {DATABASE}")
        target = sqlite_path(settings.database_url)
        if target.exists():
            if not force:
                raise BackupError(f"{target} exists; stop the server and pass --force")
            aside = target.with_name(target.name + ".before-restore")
            _sqlite_copy(target, aside)
            lines.append(f"previous database kept as {aside}")
            for suffix in ("-wal", "-shm"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _sqlite_copy(saved, target)
        lines.append(f"database: {target}")
    else:
        lines.append(PG_ADVICE.format(path=source))
    lines += _copy_files(source, settings.data_dir)
    return lines


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live database: one backup step inside one read transaction
    (WAL: writers go on meanwhile; what they commit later is not in the copy)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()
    target.chmod(0o600)


def _copy_files(source_dir: Path, target_dir: Path) -> list[str]:
    lines = []
    files = source_dir / "files"
    if files.is_dir():
        shutil.copytree(files, target_dir / "files", dirs_exist_ok=True)
        count = sum(1 for p in files.rglob("*") if p.is_file())
        lines.append(f"attachments: {count} files into {target_dir / 'files'}")
    key = source_dir / "secret_key"
    if key.exists() and not (target_dir / "secret_key").exists():
        shutil.copy2(key, target_dir / "secret_key")
        lines.append(f"secret key: {target_dir / 'secret_key'}")
    return lines
