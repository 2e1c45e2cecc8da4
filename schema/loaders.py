"""Per-request DataLoaders: every relation is fetched in one statement per batch."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from resolvers import events, files, queues, slices, tickets, users
from resolvers.pagination import Keyset, Slice
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

    def comment_page(self, actor: Actor | None, keys: Keyset) -> DataLoader[int, Slice]:
        """Comments of many tickets, one keyset page each, batched per page."""
        return self._page(slices.comments, actor, keys)

    def history_page(self, actor: Actor | None, keys: Keyset) -> DataLoader[int, Slice]:
        """Histories of many tickets, one keyset page each, batched per page."""
        return self._page(events.histories_for, actor, keys)

    def _page(self, fetch, actor: Actor | None, keys: Keyset) -> DataLoader[int, Slice]:
        key = (fetch, keys, sees_internal(actor))
        if key not in self._pages:

            async def load(ids: list[int]) -> list[Slice]:
                pages = await fetch(actor, ids, keys)
                return [pages[i] for i in ids]

            self._pages[key] = DataLoader(load)
        return self._pages[key]
