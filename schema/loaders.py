"""Per-request DataLoaders: every relation is fetched in one statement per batch."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from models import Attachment, Queue, User
from resolvers import comments, tickets
from resolvers.pagination import Page, Window
from resolvers.permissions import Actor


async def _by_id(model, ids: list[int]) -> list:
    found = {row.id: row for row in await model.filter(id__in=ids)}
    return [found.get(i) for i in ids]


async def _attachments(column: str, ids: list[int]) -> list[list[Attachment]]:
    grouped: dict[int, list[Attachment]] = defaultdict(list)
    for att in await Attachment.filter(**{f"{column}__in": ids}).order_by("id"):
        grouped[getattr(att, column)].append(att)
    return [grouped.get(i, []) for i in ids]


class Loaders:
    """Created once per request (the context builds one)."""

    def __init__(self) -> None:
        self.user = DataLoader(lambda ids: _by_id(User, ids))
        self.queue = DataLoader(lambda ids: _by_id(Queue, ids))
        self.tags = DataLoader(self._tags)
        self.contacts = DataLoader(self._contacts)
        self.ticket_attachments = DataLoader(lambda ids: _attachments("ticket_id", ids))
        self.comment_attachments = DataLoader(lambda ids: _attachments("comment_id", ids))
        self._comment_pages: dict[tuple[int, int, bool], DataLoader] = {}

    @staticmethod
    async def _tags(ids: list[int]) -> list[list[str]]:
        found = await tickets.tags_for(ids)
        return [found.get(i, []) for i in ids]

    @staticmethod
    async def _contacts(ids: list[int]) -> list[list[str]]:
        found = await tickets.contacts_for(ids)
        return [found.get(i, []) for i in ids]

    def comment_page(self, actor: Actor | None, win: Window) -> DataLoader[int, Page]:
        """Comments of many tickets, one page each, batched per window."""
        key = (win.offset, win.limit, actor is not None and actor.is_staff)
        if key not in self._comment_pages:

            async def load(ids: list[int]) -> list[Page]:
                pages = await comments.comments_for(actor, ids, win)
                return [pages[i] for i in ids]

            self._comment_pages[key] = DataLoader(load)
        return self._comment_pages[key]
