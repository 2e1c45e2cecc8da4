"""Domain errors → GraphQL errors with `extensions.code`; anything unexpected is masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql.error import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from resolvers.errors import DomainError, Invalid, RateLimited

log = logging.getLogger("ticketgate.graphql")
NOT_A_NODE = "id is not the global id of an object with an id (a Node)."
# Errors that are the caller's mistake, not faults (answered, never logged).
EXPECTED = (DomainError, GraphQLError, GlobalIDValueError)


def _with_extensions(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def domain_extensions(exc: DomainError) -> dict:
    extensions: dict = {"code": exc.code}
    if isinstance(exc, Invalid):
        extensions["fields"] = [
            {"field": e.field, "message": e.message, "code": e.code} for e in exc.fields
        ]
    if isinstance(exc, RateLimited):
        extensions["retryAfter"] = exc.retry_after
    return extensions


class DomainErrors(SchemaExtension):
    """Give each error a code; mask and log errors the domain did not raise on purpose."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [self._convert(error) for error in result.errors]

    def on_stream_result(self, result) -> Iterator[None]:
        """Each event of a subscription, likewise."""
        if getattr(result, "errors", None):
            result.errors = [self._convert(error) for error in result.errors]
        yield

    def _request_id(self) -> str:
        request = getattr(self.execution_context.context, "request", None)
        return getattr(getattr(request, "state", None), "request_id", "") or ""

    def _convert(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None:
            code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")
            return _with_extensions(
                error, error.message, {**(error.extensions or {}), "code": code}
            )
        if isinstance(original, DomainError):
            return _with_extensions(error, original.message, domain_extensions(original))
        if isinstance(original, GraphQLError):
            return _with_extensions(error, error.message, {"code": "BAD_USER_INPUT"})
        if isinstance(original, GlobalIDValueError):  # a decodable id of no Node type
            return _with_extensions(error, NOT_A_NODE, {"code": "BAD_USER_INPUT"})
        request_id = self._request_id()
        log.error("unexpected error (request %s)", request_id, exc_info=original)
        return _with_extensions(
            error,
            "Internal server error.",
            {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


class CostReport(SchemaExtension):
    """`extensions.cost` of an answer, as checked before it ran (schema/http.py)."""

    def get_results(self) -> dict:
        cost = getattr(self.execution_context.context, "cost", None)
        return {"cost": cost} if cost else {}


class IntrospectionSwitch(SchemaExtension):
    """`INTROSPECTION_ENABLED=false`: `__schema` and `__type` fail validation (`__typename`
    still works). Read per request, so one schema serves both settings."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        settings = getattr(context.context, "settings", None)
        if settings is not None and not settings.introspection_enabled:
            context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield
