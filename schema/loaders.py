"""Per-request DataLoaders: every relation is fetched in one statement per batch."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from resolvers import comments, events, files, queues, tickets, users
from resolvers.pagination import Page, Window
from resolvers.permissions import Actor, sees_internal


def _batch(fetch, missing=None):
    """A DataLoader batch function from a fetcher answering {key: value}, in key order."""

    async def load(keys: list[int]) -> list:
        found = await fetch(keys)
        return [found.get(key, missing) for key in keys]

    return load


class Loaders:
    """Created once per request (the context builds one)."""

    def __init__(self) -> None:
        self.user = DataLoader(_batch(users.users_by_ids))
        self.queue = DataLoader(_batch(queues.queues_by_ids))
        self.tags = DataLoader(_batch(tickets.tags_for, ()))
        self.contacts = DataLoader(_batch(tickets.contacts_for, ()))
        self.ticket_attachments = DataLoader(_batch(files.ticket_level_attachments_for, ()))
        self.comment_attachments = DataLoader(_batch(files.attachments_for, ()))
        self._pages: dict[tuple, DataLoader] = {}

    def comment_page(self, actor: Actor | None, win: Window) -> DataLoader[int, Page]:
        """Comments of many tickets, one page each, batched per window."""
        return self._page(comments.comments_for, actor, win)

    def history_page(self, actor: Actor | None, win: Window) -> DataLoader[int, Page]:
        """Histories of many tickets, one page each, batched per window."""
        return self._page(events.histories_for, actor, win)

    def _page(self, fetch, actor: Actor | None, win: Window) -> DataLoader[int, Page]:
        key = (fetch, win.offset, win.limit, sees_internal(actor))
        if key not in self._pages:

            async def load(ids: list[int]) -> list[Page]:
                pages = await fetch(actor, ids, win)
                return [pages[i] for i in ids]

            self._pages[key] = DataLoader(load)
        return self._pages[key]
