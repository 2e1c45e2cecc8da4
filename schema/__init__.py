"""The GraphQL schema: one Query and one Mutation assembled from the per-domain modules."""

from __future__ import annotations

import functools

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    FieldExtension,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from resolvers.errors import Invalid
from resolvers.pagination import MAX_PAGE_SIZE
from schema.actions import TicketActions
from schema.admin import AdminMutations, AdminQueries
from schema.errors import EXPECTED, CostReport, DomainErrors, IntrospectionSwitch
from schema.stats import StatsQueries
from schema.subscriptions import Subscription
from schema.tickets import TicketMutations, TicketQueries
from schema.users import UserMutations, UserQueries
from schema.webhooks import WebhookMutations, WebhookQueries

DOCUMENT_CACHE_SIZE = 512  # parsed and validated documents kept (by text)


class MaxIds(FieldExtension):
    """`nodes(ids:)` takes at most MAX_PAGE_SIZE ids, as a page does."""

    def resolve(self, next_, source, info, **kwargs):
        if len(kwargs["ids"]) > MAX_PAGE_SIZE:
            raise Invalid("ids", f"Pass at most {MAX_PAGE_SIZE} ids.")
        return next_(source, info, **kwargs)


@strawberry.type(description="Everything a caller may read.")
class Query(TicketQueries, UserQueries, StatsQueries, WebhookQueries, AdminQueries):
    node: relay.Node | None = relay.node(
        description="Any object by its global id; null when missing or not visible."
    )
    nodes: list[relay.Node | None] = relay.node(
        description=f"Objects by global id (at most {MAX_PAGE_SIZE}), in the order asked;"
        " null for each one missing or not visible.",
        extensions=[MaxIds()],
    )


@strawberry.type(description="Every change; expected failures are in each payload's `userErrors`.")
class Mutation(TicketMutations, TicketActions, UserMutations, WebhookMutations, AdminMutations):
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
        subscription=Subscription,
        extensions=[
            IntrospectionSwitch,
            ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
            QueryDepthLimiter(max_depth=max_depth),
            MaxAliasesLimiter(max_alias_count=max_aliases),
            MaxTokensLimiter(max_token_count=max_tokens),
            DomainErrors,
            CostReport,
        ],
    )
