"""`Observe`: what the layer in front of every door (`front.Front`) does for each HTTP request
it times: count its SQL statements, record the metrics and write the access log line."""

from __future__ import annotations

import logging

from starlette.types import Scope

from observe import metrics, sql

access_log = logging.getLogger("ticketgate.access")
UNMATCHED = "<unmatched>"


class Observe:
    """`doors`: (path prefix, door name), longest prefixes first; other paths are "server"."""

    def __init__(self, doors: list[tuple[str, str]], collect: bool = True) -> None:
        self.doors, self.collect = doors, collect
        self._door_of: dict[str, str] = {}  # route template → door (templates are few)
        if collect:
            sql.instrument()

    def door(self, path: str) -> str:
        for prefix, name in self.doors:
            if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
                return name
        return "server"

    def start(self) -> list[int] | None:
        """A request begins: its statement count (None when metrics are off)."""
        return sql.start() if self.collect else None

    def record(self, scope: Scope, status: int, seconds: float, statements) -> None:
        route = route_template(scope)
        door = self._door_of.get(route)
        if door is None:
            door = self.door(scope["path"])
            if route != UNMATCHED:
                self._door_of[route] = door
        count = statements[0] if statements is not None else None
        context = scope.get("graphql_context")
        cost = (getattr(context, "cost", None) or {}).get("requested")
        operation = scope.get("graphql_operation")
        if self.collect:
            metrics.observe_request(door, route, scope["method"], status, seconds, count or 0)
            if cost is not None:
                metrics.observe_graphql(operation, cost)
        if access_log.isEnabledFor(logging.INFO):
            user = scope.get("caller")
            fields = {
                "request_id": scope.get("state", {}).get("request_id"),
                "door": door,
                "method": scope["method"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "user_id": getattr(user, "id", None),
            }
            if operation is not None or cost is not None:
                fields["graphql_operation"] = operation
            if count is not None:
                fields["sql_statements"] = count
            access_log.info(
                "%s %s %s %.1f ms", scope["method"], route, status, seconds * 1000, extra=fields
            )


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/tickets/{id}`), never the raw path with
    its ids; UNMATCHED when no route (or only a mount) matched."""
    route = scope.get("route")
    path = getattr(route, "path_format", None)
    if path is None:
        return UNMATCHED
    if hasattr(route, "routes"):  # a mount none of whose routes matched
        return f"{path}/{UNMATCHED}"
    return scope.get("root_path", "")[len(scope.get("app_root_path", "")) :] + path
