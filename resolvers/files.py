"""Attachments: metadata rows plus content-addressed bytes behind a small storage interface."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tortoise.expressions import Subquery

from models import Attachment
from resolvers import clock, limits, validation
from resolvers.errors import Invalid, NotFound
from resolvers.pagination import Page, Window, paginate
from resolvers.permissions import (
    Actor,
    require_staff,
    require_user,
    sees_every_ticket,
    sees_internal,
    visible_ticket,
    visible_tickets,
)

# A media type as sent in a multipart part (parameters allowed): printable ASCII only, so it
# can be stored (no NUL) and sent back as a Content-Type header.
MIME_TYPE_RE = re.compile(r"[!-~]+/[ -~]+")
DOWNLOAD_SECONDS = 3600  # how long a signed download link stays valid


class Storage(Protocol):
    def put(self, data: bytes) -> str:
        """Store bytes, return their sha256 hex digest (idempotent)."""

    def get(self, sha256: str) -> bytes: ...


class LocalStorage:
    """Files under `<root>/<aa>/<bb>/<sha256>`, written atomically and fsynced."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return digest

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()


@dataclass(frozen=True)
class NewFile:
    filename: str
    mime_type: str
    data: bytes


def check_files(files: list[NewFile], field: str = "attachments") -> None:
    if len(files) > limits.FILES_PER_ITEM:
        raise Invalid(field, f"At most {limits.FILES_PER_ITEM} files may be attached.")
    for f in files:
        validation.text(f"{field}.filename", f.filename, max_length=255)
        longest = validation.max_length(Attachment, "mime_type")
        if f.mime_type and not (
            len(f.mime_type) <= longest and MIME_TYPE_RE.fullmatch(f.mime_type)
        ):
            message = (
                f"mime_type must be a media type like text/plain, of at most {longest} characters."
            )
            raise Invalid(f"{field}.mime_type", message)
        if len(f.data) > limits.FILE_BYTES:
            raise Invalid(field, f"{f.filename}: files may be at most {limits.FILE_BYTES} bytes.")


async def attach(
    actor: Actor | None,
    storage: Storage,
    files: list[NewFile],
    *,
    ticket_id: int | None = None,
    comment_id: int | None = None,
) -> list[Attachment]:
    """Store bytes, then write one metadata row per file (call inside the change's transaction)."""
    rows = []
    for f in files:
        digest = await asyncio.to_thread(storage.put, f.data)  # hash, write, fsync: off the loop
        rows.append(
            await Attachment.create(
                uuid=uuid.uuid4(),
                ticket_id=ticket_id,
                comment_id=comment_id,
                uploaded_by_id=getattr(actor, "id", None),
                filename=f.filename,
                mime_type=f.mime_type or "application/octet-stream",
                size=len(f.data),
                sha256=digest,
                created_at=clock.now(),
            )
        )
    return rows


async def upload(actor: Actor | None, storage: Storage, new: NewFile) -> Attachment:
    """Store a file before use: an unattached attachment that only its uploader may claim."""
    actor = require_user(actor)
    check_files([new], field="file")
    return (await attach(actor, storage, [new]))[0]


def _uuid(field: str, value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Invalid(field, f"{validation.shown(value)} is not a file uuid.") from None


async def claim(
    actor: Actor,
    uuids: list[str],
    *,
    ticket_id: int,
    comment_id: int | None = None,
    field: str = "files",
) -> list[Attachment]:
    """Attach the actor's own unattached uploads (call inside the change's transaction)."""
    wanted = list(dict.fromkeys(_uuid(field, u) for u in uuids))
    if len(wanted) > limits.FILES_PER_ITEM:
        raise Invalid(field, f"At most {limits.FILES_PER_ITEM} files may be attached.")
    free = Attachment.filter(
        uuid__in=wanted, uploaded_by_id=actor.id, ticket_id=None, comment_id=None
    )
    found = {a.uuid: a for a in await free}
    for u in wanted:
        if u not in found:
            raise Invalid(field, f"File {u} is unknown or already used.")
    if await free.update(ticket_id=ticket_id, comment_id=comment_id) != len(wanted):
        raise Invalid(field, "A file was used by another request; upload it again.")
    for att in found.values():
        att.ticket_id, att.comment_id = ticket_id, comment_id
    return [found[u] for u in wanted]


async def attachments_for(comment_ids: list[int]) -> dict[int, list[Attachment]]:
    """Attachments per comment, in one query (the caller has checked visibility)."""
    found: dict[int, list[Attachment]] = {}
    for att in await Attachment.filter(comment_id__in=comment_ids).order_by("id"):
        found.setdefault(att.comment_id, []).append(att)
    return found


async def ticket_level_attachments_for(ticket_ids: list[int]) -> dict[int, list[Attachment]]:
    """Files attached to each ticket itself (not to its comments, which may be internal), in
    one query (the caller has checked visibility)."""
    found: dict[int, list[Attachment]] = {}
    own = Attachment.filter(ticket_id__in=ticket_ids, comment_id__isnull=True)
    for att in await own.order_by("id"):
        found.setdefault(att.ticket_id, []).append(att)
    return found


async def read_upload(actor: Actor | None, storage: Storage, file_uuid: str):
    """(metadata, bytes) of the attachment with this uuid, when the actor may read it."""
    require_user(actor)
    try:
        att = await Attachment.get_or_none(uuid=uuid.UUID(file_uuid))
    except ValueError:
        att = None
    if att is None:
        raise NotFound(f"File {validation.shown(file_uuid)} not found.")
    return await read_attachment(actor, storage, att.id)


async def get_attachment(actor: Actor | None, attachment_id: int) -> Attachment:
    """An attachment the actor may read: its ticket visible, internal comments' for staff only."""
    actor = require_user(actor)
    att = await Attachment.get_or_none(id=attachment_id).select_related("comment")
    if att is None:
        raise NotFound(f"Attachment {attachment_id} not found.")
    if att.ticket_id is None and att.comment_id is None:
        if att.uploaded_by_id != actor.id and not actor.is_staff:
            raise NotFound(f"Attachment {attachment_id} not found.")
        return att
    ticket_id = att.ticket_id or att.comment.ticket_id
    await visible_ticket(actor, ticket_id)
    if att.comment_id and att.comment.is_internal and not sees_internal(actor):
        raise NotFound(f"Attachment {attachment_id} not found.")
    return att


async def get_comment_attachment(actor: Actor | None, attachment_id: int) -> Attachment:
    """A followup's attachment the actor may read (a ticket's own files are not one)."""
    att = await get_attachment(actor, attachment_id)
    if att.comment_id is None:
        raise NotFound(f"Attachment {attachment_id} not found.")
    return att


async def read_attachment(actor: Actor | None, storage: Storage, attachment_id: int):
    """(metadata, bytes) of an attachment the actor may read."""
    att = await get_attachment(actor, attachment_id)
    return att, storage.get(att.sha256)


async def list_comment_attachments(actor: Actor | None, win: Window) -> Page[Attachment]:
    """Every comment's attachment on the tickets the actor sees, by file name (django-helpdesk's
    order): staff only (they see every comment of those)."""
    require_staff(actor)
    found = Attachment.filter(comment_id__not_isnull=True)
    if not sees_every_ticket(actor):
        found = found.filter(comment__ticket_id__in=Subquery(visible_tickets(actor).values("id")))
    return await paginate(found.order_by("filename", "id"), win)


async def delete_attachment(actor: Actor | None, attachment_id: int) -> None:
    """Staff remove an attachment's row; the bytes stay (content-addressed, maybe shared)."""
    att = await get_attachment(actor, attachment_id)
    require_staff(actor)
    await att.delete()


def _download_mac(secret: str, attachment_id: int, user_id: int, expires: int) -> str:
    message = f"download:{attachment_id}:{user_id}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def download_token(secret: str, attachment_id: int, user_id: int, now: float) -> str:
    """A token letting `user_id` fetch the attachment for DOWNLOAD_SECONDS without sending a
    credential header (for `<a href>` and `<img src>`); the download still checks that the
    user may read it then."""
    expires = int(now) + DOWNLOAD_SECONDS
    return f"{user_id}.{expires}.{_download_mac(secret, attachment_id, user_id, expires)}"


def download_user(secret: str, attachment_id: int, token: str, now: float) -> int | None:
    """The user id a download token was issued to, None when it is forged or expired."""
    user_id, _, rest = token.partition(".")
    expires, _, mac = rest.partition(".")
    if not (user_id.isdigit() and expires.isdigit() and len(user_id) < 12 and len(expires) < 12):
        return None
    expected = _download_mac(secret, attachment_id, int(user_id), int(expires))
    if int(expires) < now or not hmac.compare_digest(mac, expected):
        return None
    return int(user_id)
