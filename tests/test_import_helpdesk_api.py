"""`import-helpdesk --api`: what a django-helpdesk's REST API shows (pages shaped as django-helpdesk
2.6.1 answers them), copied into a local helpdesk database and imported from there."""

from __future__ import annotations

import base64

import httpx
import pytest

from importers import helpdesk, helpdesk_api
from importers.django_db import SQLiteSource
from models import Attachment, Comment, Queue, Ticket, User
from resolvers.files import LocalStorage

API = "https://help.example.com/helpdesk/api/"
FILE = "https://help.example.com/media/helpdesk/attachments/support-1-x/4/log.txt"


def followup(id_, ticket, user, date, **extra) -> dict:
    return {
        "id": id_,
        "ticket": ticket,
        "user": user,
        "title": "Comment",
        "comment": f"Followup {id_}.",
        "public": True,
        "new_status": None,
        "time_spent": None,
        "followupattachment_set": [],
        "date": date,
        "message_id": None,
        "email_recipients": [],
        **extra,
    }


def ticket(id_, followups, **extra) -> dict:
    return {
        "id": id_,
        "queue": 1,
        "title": f"Ticket {id_}",
        "description": "It burns.",
        "resolution": None,
        "submitter_email": "carl@example.com",
        "assigned_to": None,
        "status": 1,
        "on_hold": False,
        "priority": 2,
        "due_date": None,
        "merged_to": None,
        "followup_set": followups,
        "custom_order_no": "A-17",
        "custom_seats": 12,
        "custom_vip": True,
        **extra,
    }


PAGES = {
    "page_size=100": {
        "count": 2,
        "next": API + "tickets/?page=2&page_size=100",
        "results": [
            ticket(
                1,
                [
                    followup(1, 1, 3, "2026-12-01T18:30:54.885913Z", title="Ticket Opened"),
                    followup(
                        4,
                        1,
                        2,
                        "2026-12-01T18:40:00Z",
                        time_spent="1 00:15:00",
                        followupattachment_set=[
                            {
                                "id": 2,
                                "followup": 4,
                                "file": FILE,
                                "filename": "log.txt",
                                "mime_type": "text/plain",
                                "size": 10,
                            }
                        ],
                    ),
                    followup(5, 1, 2, "2026-12-01T18:45:00Z", public=False, new_status=4),
                ],
                status=4,
            )
        ],
    },
    "page=2&page_size=100": {
        "count": 2,
        "next": None,
        "results": [ticket(2, [], assigned_to=2, queue=3, custom_vip=False)],
    },
}


def helpdesk_api_double(request: httpx.Request) -> httpx.Response:
    if request.headers.get("authorization") != "Basic " + base64.b64encode(b"agent:pw").decode():
        return httpx.Response(403, json={"detail": "Invalid username/password."})
    if str(request.url) == FILE:
        return httpx.Response(200, content=b"paper jam\n")
    return httpx.Response(200, json=PAGES[request.url.query.decode()])


async def test_what_the_api_shows_is_imported(settings, tmp_path):
    transport = httpx.MockTransport(helpdesk_api_double)
    async with httpx.AsyncClient(transport=transport, auth=("agent", "pw")) as client:
        made = await helpdesk_api.snapshot(client, API, tmp_path)
    source = SQLiteSource(made.database)
    storage = LocalStorage(settings.data_dir / "files")
    options = helpdesk.Options(storage=storage, media_root=made.media_root)
    report = await helpdesk.run(source, options)
    await source.close()

    assert made.notes[0].startswith("api: 2 users appear only as ids")
    assert report.problems == []
    assert [(u.id, u.username, u.role.value, u.password_hash) for u in await User.all()] == [
        (2, "helpdesk-user-2", "agent", ""),
        (3, "helpdesk-user-3", "customer", ""),
    ]
    assert await Queue.all().values_list("id", "slug") == [(1, "queue-1"), (3, "queue-3")]
    first = await Ticket.get(id=1)
    assert (first.status, first.created_at.isoformat(), first.closed_by_id) == (
        "closed",
        "2026-12-01T18:30:54.885913+00:00",
        2,
    )
    assert first.custom_fields == {"order_no": "A-17", "seats": 12, "vip": True}
    assert (await Ticket.get(id=2)).custom_fields["vip"] is False
    comments = await Comment.all().order_by("id").values_list("id", "is_internal", "new_status")
    assert comments == [(1, False, None), (4, False, None), (5, True, "closed")]
    assert (await Comment.get(id=4)).time_spent_seconds == 86400 + 15 * 60
    attachment = await Attachment.get(id=2)
    assert (attachment.comment_id, attachment.size) == (4, 10)
    assert storage.get(attachment.sha256) == b"paper jam\n"


async def test_refused_credentials_are_a_clear_error(tmp_path):
    transport = httpx.MockTransport(helpdesk_api_double)
    async with httpx.AsyncClient(transport=transport, auth=("agent", "wrong")) as client:
        with pytest.raises(ValueError) as refused:
            await helpdesk_api.snapshot(client, API, tmp_path)
    assert str(refused.value) == (
        f'{API}tickets/?page_size=100 answered 403: {{"detail":"Invalid username/password."}}'
    )
