"""One OpenAPI 3.1 builder for every dialect, fed by the operations the mount serves.

The rules every document follows: paths are relative to the dialect's mount and `servers`
holds that mount's path (`/api/v1`, `/support`, …), so one document is right behind any
prefix; every operation has an `operationId` (its handler's name unless declared), its
`security` (`[]` when public), its parameters (path ones from the route, query ones from the
declaration) and its request and success schemas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rest.kit.http import JSONResponse
from rest.kit.operation import Handler, Operation

_PATH_PARAM = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")
BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


@dataclass(frozen=True)
class Info:
    title: str
    version: str
    description: str = ""
    security_schemes: Mapping[str, dict] = field(default_factory=dict)
    schemas: Mapping[str, dict] = field(default_factory=dict)  # components
    errors: Mapping[str, dict] = field(default_factory=dict)  # status → response object
    errors_when_public: bool = False  # public operations list the errors too
    path_schemas: Mapping[str, dict] = field(default_factory=dict)  # path parameter → schema
    responses: Mapping[str, dict] = field(default_factory=dict)  # components.responses


def parameter(name: str, where: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI parameter object (`where`: "path" or "query"; path ones are required)."""
    required = {"required": True} if where == "path" else {}
    return {"name": name, "in": where, **required, "schema": schema}


def document(operations: Sequence[Operation], info: Info) -> dict[str, Any]:
    """The document without `servers` (added per mount by `serve`)."""
    paths: dict[str, dict] = {}
    for op in operations:
        clean = _PATH_PARAM.sub(r"{\1}", op.path)
        paths.setdefault(clean, {})[op.method.lower()] = _operation(op, info)
    security = [{name: []} for name in info.security_schemes]
    components: dict[str, Any] = {"securitySchemes": dict(info.security_schemes)}
    if info.schemas:
        components["schemas"] = dict(info.schemas)
    if info.responses:
        components["responses"] = dict(info.responses)
    head = {"title": info.title, "version": info.version}
    if info.description:
        head["description"] = info.description
    return {
        "openapi": "3.1.0",
        "info": head,
        "security": security,
        "paths": paths,
        "components": components,
    }


def _operation(op: Operation, info: Info) -> dict[str, Any]:
    spec: dict[str, Any] = {"operationId": op.id, "summary": op.summary}
    if op.tag:
        spec["tags"] = [op.tag]
    parameters = [
        parameter(name, "path", info.path_schemas.get(name, {"type": "string"}))
        for name in _PATH_PARAM.findall(op.path)
    ]
    parameters += [parameter(name, "query", schema) for name, schema in (op.query or {}).items()]
    if parameters:
        spec["parameters"] = parameters
    if op.body is not None:
        content = {media: {"schema": op.body} for media in op.body_media}
        if op.body.get("type") == "object":  # inline: required unless nothing in it is
            required = bool(op.body.get("required", True))
        else:  # a component: a partial update may send nothing
            required = op.method != "PATCH"
        spec["requestBody"] = {"required": required, "content": content}
    spec["responses"] = {str(op.status): _success(op)}
    if not op.is_public or info.errors_when_public:
        spec["responses"].update(info.errors)
    spec["security"] = [] if op.is_public else [{name: []} for name in info.security_schemes]
    return spec


def _success(op: Operation) -> dict[str, Any]:
    if op.status == 204 or op.response is None:
        return {"description": "Success"}
    if op.response == {"format": "binary"}:
        return {"description": "The file's bytes", "content": BINARY}
    return {"description": "Success", "content": {"application/json": {"schema": op.response}}}


def add_document(operations: list[Operation], info: Info, summary: str, **more: Any) -> None:
    """Append the dialect's `GET /openapi.json` (public unless `auth` says otherwise), whose
    document lists `operations`, itself included."""
    more.setdefault("auth", "public")
    handler = served(lambda: document(operations, info))
    operations.append(Operation("GET", "/openapi.json", handler, summary, **more))


def served(build: Callable[[], dict[str, Any]]) -> Handler:
    """The handler of a dialect's `/openapi.json`: `build()` (its document, built on first use,
    since the document lists this operation too) with `servers` set to the mount it is
    served under."""
    bodies: dict[str, bytes] = {}

    async def openapi(request: Request, actor: Any, data: dict) -> Response:
        root = request.scope.get("root_path", "")
        body = bodies.get(root)
        if body is None:
            doc = {**build(), "servers": [{"url": root or "/"}]}
            body = JSONResponse(doc).body
            if len(bodies) < 16:  # (one per mount prefix; bounded)
                bodies[root] = body
        return Response(body, media_type="application/json")

    return openapi
