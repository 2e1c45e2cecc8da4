"""`ticketgate backup` / `restore`: a consistent copy taken while writes go on (issue 15)."""

import asyncio
import dataclasses
import sqlite3

import pytest

import backups
from models import Ticket
from resolvers import tickets
from resolvers.files import LocalStorage, NewFile
from tests.helpers import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's backup API; PostgreSQL: pg_dump")


async def test_backup_under_write_load_restores_every_acknowledged_write(settings, agent, tmp_path):
    storage = LocalStorage(settings.data_dir / "files")
    acknowledged: list[int] = []
    stop, under_way = asyncio.Event(), asyncio.Event()

    async def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            data = f"file {n}-{i}".encode()
            files = [NewFile(f"w{n}-{i}.txt", "text/plain", data)] if i % 5 == 0 else []
            ticket = await tickets.create_ticket(
                agent, title=f"w{n}-{i}", files=files, storage=storage
            )
            acknowledged.append(ticket.id)
            if len(acknowledged) >= 30:
                under_way.set()
            i += 1

    writers = [asyncio.create_task(writer(n)) for n in range(3)]
    await under_way.wait()
    before = list(acknowledged)
    lines = await asyncio.to_thread(backups.backup, settings, tmp_path / "backup")
    stop.set()
    await asyncio.gather(*writers)
    assert lines[0] == f"database: {tmp_path / 'backup' / backups.DATABASE}"
    assert len(acknowledged) > len(before)  # writes went on

    restored_dir = tmp_path / "restored"
    restored = dataclasses.replace(
        settings,
        data_dir=restored_dir,
        database_url=f"sqlite://{restored_dir / 'db.sqlite3'}?journal_mode=WAL",
    )
    backups.restore(restored, tmp_path / "backup")
    db = sqlite3.connect(restored_dir / "db.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    ids = {row[0] for row in db.execute("SELECT id FROM tickets")}
    assert set(before) <= ids  # every write acknowledged before the backup began
    assert ids <= set(acknowledged)
    stored = [row[0] for row in db.execute("SELECT sha256 FROM attachments")]
    files = LocalStorage(restored_dir / "files")
    assert stored and all(files.get(sha).startswith(b"file ") for sha in stored)
    db.close()
    assert await Ticket.all().count() == len(acknowledged)  # (the live database went on)


def test_backup_and_restore_refuse_to_overwrite(settings, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(backups.BackupError, match="is not empty"):
        backups.backup(settings, tmp_path / "full")
    backups.backup(settings, tmp_path / "ok")
    with pytest.raises(backups.BackupError, match="pass --force"):
        backups.restore(settings, tmp_path / "ok")
