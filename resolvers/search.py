"""Full-text search of tickets' title and description through the database's own index
(migration 0006): SQLite's FTS5 table `tickets_fts`, PostgreSQL's GIN index on a tsvector.

A search is words (runs of letters and digits, at most MAX_WORDS); a ticket matches when it
holds every word, each as a word or the start of one (`print` finds "printer"), ignoring case.
"""

from __future__ import annotations

import re

from resolvers import sql, validation

MAX_WORDS = 10
WORD = re.compile(r"[^\W_]+")
# Exactly the indexed expression of migration 0006, so PostgreSQL uses the index.
TSVECTOR = "to_tsvector('simple', {alias}.title || ' ' || {alias}.description)"


def words(text: str) -> list[str]:
    return WORD.findall(validation.no_nul("search", text).lower())[:MAX_WORDS]


def ticket_condition(alias: str, text: str) -> tuple[str, list] | None:
    """A condition on `tickets AS alias` (with its parameter) for the tickets matching
    `text`; None when it holds no word (then it filters nothing)."""
    terms = words(text)
    if not terms:
        return None
    if sql.is_postgres():
        query = " & ".join(f"{w}:*" for w in terms)
        return f"{TSVECTOR.format(alias=alias)} @@ to_tsquery('simple', ?)", [query]
    query = " ".join(f'"{w}"*' for w in terms)
    return f"{alias}.id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)", [query]
