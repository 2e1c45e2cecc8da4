"""The GraphQL schema: one Query and one Mutation assembled from the per-domain modules."""

from __future__ import annotations

import functools

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from schema.errors import EXPECTED, CostReport, DomainErrors
from schema.stats import StatsQueries
from schema.tickets import TicketMutations, TicketQueries
from schema.users import UserMutations, UserQueries

DOCUMENT_CACHE_SIZE = 512  # parsed and validated documents kept (by text)


@strawberry.type
class Query(TicketQueries, UserQueries, StatsQueries):
    node: relay.Node | None = relay.node()


@strawberry.type
class Mutation(TicketMutations, UserMutations):
    pass


class TicketgateSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Domain errors and bad input (an undecodable global id, …) are answers, not faults:
        log only the unexpected ones."""
        unexpected = [
            e
            for e in errors
            if e.original_error is not None and not isinstance(e.original_error, EXPECTED)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 5000):
    """The schema with these limits (built once per process: Strawberry's relay fields
    cannot be bound to two schemas)."""
    return _schema(max_depth, max_aliases, max_tokens)


@functools.cache
def _schema(max_depth: int, max_aliases: int, max_tokens: int):
    return TicketgateSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
            QueryDepthLimiter(max_depth=max_depth),
            MaxAliasesLimiter(max_alias_count=max_aliases),
            MaxTokensLimiter(max_token_count=max_tokens),
            DomainErrors,
            CostReport,
        ],
    )
