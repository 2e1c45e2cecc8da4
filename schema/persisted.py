"""Persisted queries: Apollo's automatic persisted queries (APQ), or trusted documents only.

A request names its document by `extensions.persistedQuery.sha256Hash` (version 1), with or
without the text. APQ: the text is remembered by its hash (per process, least recently used
dropped first); a hash alone that this process does not know answers
`PERSISTED_QUERY_NOT_FOUND`, and the client sends it again with the text. Trusted documents
(`GRAPHQL_TRUSTED_DOCUMENTS`, a manifest file): only the documents it lists run, named by hash
or sent as text; everything else answers `PERSISTED_QUERY_NOT_IN_LIST`. The document text
then goes down the same path as any other, so the compiled plan cache (keyed by text) serves
persisted and plain requests alike. Docs: docs/graphql.md ("Persisted queries").
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from cachetools import LRUCache


class PersistedQueryError(Exception):
    """A persisted query that cannot run; `code` is the error's `extensions.code`."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_manifest(path: str) -> dict[str, str]:
    """hash → document from a trusted-documents manifest: GraphQL Code Generator's
    `persisted-documents.json` (`{"<sha256>": "<document>"}`) or Apollo's persisted query
    manifest (`{"format": "apollo-persisted-query-manifest", "operations": [{id, body}]}`).
    Every hash must be the sha256 of its document."""
    raw = orjson.loads(Path(path).read_bytes())
    if isinstance(raw, dict) and raw.get("format") == "apollo-persisted-query-manifest":
        pairs = {op["id"]: op["body"] for op in raw.get("operations", [])}
    elif isinstance(raw, dict):
        pairs = raw
    else:
        raise ValueError(f"{path}: not a persisted documents manifest")
    for key, document in pairs.items():
        if not isinstance(document, str) or sha256(document) != key.removeprefix("sha256:"):
            raise ValueError(f"{path}: {key} is not the sha256 of its document")
    return {key.removeprefix("sha256:"): document for key, document in pairs.items()}


class PersistedQueries:
    def __init__(self, size: int, manifest: str = "") -> None:
        self.trusted = load_manifest(manifest) if manifest else None
        self.known: LRUCache[str, str] | None = LRUCache(size) if size > 0 else None

    def document(self, query: str | None, extensions: dict | None) -> str | None:
        """The document to run for this request's `query` and `extensions`."""
        persisted = (extensions or {}).get("persistedQuery")
        wanted = None
        if persisted is not None:
            wanted = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
            if not isinstance(wanted, str) or persisted.get("version", 1) != 1:
                raise PersistedQueryError(
                    "BAD_USER_INPUT", "persistedQuery needs version 1 and a sha256Hash.", 400
                )
            if query is not None and sha256(query) != wanted:
                raise PersistedQueryError(
                    "BAD_USER_INPUT", "provided sha does not match query", 400
                )
        if self.trusted is not None:
            key = wanted or (sha256(query) if query is not None else None)
            if key not in self.trusted:
                raise PersistedQueryError(
                    "PERSISTED_QUERY_NOT_IN_LIST", "Only trusted documents may run here.", 400
                )
            return self.trusted[key]
        if wanted is None:
            return query
        if self.known is None:
            raise PersistedQueryError("PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported")
        if query is not None:
            self.known[wanted] = query
            return query
        found = self.known.get(wanted)
        if found is None:
            raise PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        return found
