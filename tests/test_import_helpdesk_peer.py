"""`ticketgate import-helpdesk` against the real django-helpdesk 2.6.1: data made through its
own REST API (bench/peers/helpdesk_site/import_seed.py), imported with the command line, read
back through ticketgate's helpdesk door and compared value by value with what the original
answered. Slow (a virtualenv with Django on first use, Django's password hashing): `make
test-import` runs it; the normal suite skips it with that reason."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from models import Attachment, Comment, Event, Queue, Ticket, TicketContact, User

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
OLD_PASSWORD = "old-helpdesk-password"  # as import_seed.py sets it

pytestmark = pytest.mark.skipif(
    not os.environ.get("TICKETGATE_IMPORT_PEER"),
    reason="imports from the real django-helpdesk 2.6.1 (slow): run `make test-import`",
)


@pytest.fixture(scope="module")
def peer(tmp_path_factory) -> tuple[Path, dict]:
    """The peer's state directory (database, media) and what its API answered."""
    sys.path.insert(0, str(PEERS))
    import compare_helpdesk

    try:
        python = compare_helpdesk.ensure_venv()
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"django-helpdesk 2.6.1 could not be installed: {exc}")
    state = tmp_path_factory.mktemp("helpdesk-peer")
    site = PEERS / "helpdesk_site"
    env = {**os.environ, "HELPDESK_PEER_STATE": str(state)}
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=site, env=env, check=True)
    out = state / "answers.json"
    subprocess.run([python, "import_seed.py", str(out)], cwd=site, env=env, check=True)
    return state, json.loads(out.read_text())


def import_cli(settings, state: Path, *extra: str, fields: str = "[]"):
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TICKETGATE_DATA_DIR": str(settings.data_dir),
        "HELPDESK_CUSTOM_FIELDS": fields,
    }
    command = [ROOT / ".venv" / "bin" / "ticketgate", "import-helpdesk"]
    command += ["--database", f"sqlite://{state / 'helpdesk.sqlite3'}"]
    command += ["--media-root", str(state / "media"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def basic(login: str) -> dict[str, str]:
    raw = base64.b64encode(f"{login}:{OLD_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def comparable(ticket: dict) -> dict:
    """A ticket as both sides must answer it: not the recipients of e-mails ticketgate does not
    send, nor the URLs of files (each side serves them from its own place)."""
    followups = []
    for f in ticket["followup_set"]:
        files = [{k: v for k, v in a.items() if k != "file"} for a in f["followupattachment_set"]]
        kept = {k: v for k, v in f.items() if k != "email_recipients"}
        followups.append({**kept, "followupattachment_set": files})
    return {**ticket, "followup_set": followups}


async def counts() -> dict[str, int]:
    models = (User, Ticket, Comment, Attachment, TicketContact, Event)
    return {m.__name__: await m.all().count() for m in models}


async def test_import_from_django_helpdesk_reads_back_the_same(peer, settings, client_with):
    state, answers = peer
    dry = import_cli(settings, state, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "queues: 2 would import" in dry.stdout
    fields = re.search(r"HELPDESK_CUSTOM_FIELDS='(.*)'", dry.stdout).group(1)
    assert await Ticket.all().count() == 0

    done = import_cli(settings, state, fields=fields)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "tickets: 3 imported" in done.stdout
    assert (await Queue.get(slug="billing")).email_address == "billing@example.com"
    async with client_with(helpdesk_custom_fields=fields) as client:
        for original in answers["tickets"]:
            ours = await client.get(
                f"/helpdesk/api/tickets/{original['id']}/", headers=basic("agent")
            )
            assert ours.status_code == 200, ours.text
            assert comparable(ours.json()) == comparable(original)
            for followup in ours.json()["followup_set"]:
                for attachment in followup["followupattachment_set"]:
                    got = await client.get(attachment["file"], headers=basic("agent"))
                    assert (got.status_code, len(got.content)) == (200, attachment["size"])
        mine = await client.get("/helpdesk/api/user_tickets/", headers=basic("carl@example.com"))
        assert mine.status_code == 200, mine.text
        assert [t["id"] for t in mine.json()["results"]] == [1]
        assert "custom_plan" not in mine.json()["results"][0]  # staff-only, as in the original
        inactive = await client.get("/helpdesk/api/user_tickets/", headers=basic("gone"))
        assert inactive.status_code == 403
    assert (await User.get(username="agent")).password_hash.startswith("$argon2")
    before = await counts()

    again = import_cli(settings, state, fields=fields)

    assert again.returncode == 0, again.stdout + again.stderr
    assert "tickets: 0 imported, 3 already in ticketgate" in again.stdout
    assert await counts() == before
