"""The subset of JSON Schema the dialects declare (types, lengths, bounds, enums, uuids,
closed objects), checked against requests: the schema that documents an operation is the one
that checks it. Problems raise Invalid(name)."""

from __future__ import annotations

import math
import uuid
from typing import Any

from starlette.requests import Request

from resolvers.errors import Invalid
from rest.kit import params

TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}
_PYTHON = {"string": str, "boolean": bool, "array": list, "object": dict, "null": type(None)}


def string(min_length: int = 1, max_length: int | None = None, **extra: Any) -> dict:
    schema = {"type": "string", "minLength": min_length, **extra}
    return schema | ({"maxLength": max_length} if max_length else {})


def closed_object(required: list[str], **properties: dict) -> dict:
    """An object of exactly these properties (others refused)."""
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _PYTHON[kind])


def check(schema: dict, value: Any, name: str) -> Any:
    """`value` checked against `schema`; Invalid(name) names the first problem."""
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    kind = next((k for k in kinds if _is(k, value)), None)
    if kind is None:
        raise Invalid(name, f"{name} must be {TYPE_NAMES[kinds[0]]}.")
    if kind == "object":
        return _check_object(schema, value)
    if kind == "string":
        if len(value) < schema.get("minLength", 0):
            raise Invalid(name, f"{name} must not be empty.")
        if len(value) > schema.get("maxLength", math.inf):
            raise Invalid(name, f"{name} must be at most {schema['maxLength']} characters.")
        if schema.get("format") == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                raise Invalid(name, f"{name}: {value!r} is not a uuid.") from None
    if kind == "integer":
        if "enum" in schema and value not in schema["enum"]:
            raise Invalid(name, f"{name} must be one of {schema['enum']}.")
        low, high = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
        if not low <= value <= high:
            raise Invalid(name, f"{name} must be between {low} and {high}.")
    if kind == "array":
        if len(value) < schema.get("minItems", 0):
            raise Invalid(name, f"{name} must have at least {schema['minItems']} item(s).")
        if len(value) > schema.get("maxItems", math.inf):
            raise Invalid(name, f"{name} must have at most {schema['maxItems']} items.")
        return [check(schema["items"], item, name) for item in value]
    return value


def _check_object(schema: dict, value: dict) -> dict:
    properties = schema["properties"]
    for key in value:
        if key not in properties:
            raise Invalid(key, f"Unknown field {key!r}.")
    for key in schema["required"]:
        if key not in value:
            raise Invalid(key, f"{key} is required.")
    return {key: check(properties[key], item, key) for key, item in value.items()}


def query(request: Request, properties: dict[str, dict]) -> dict:
    """Query parameters converted to their schema's types and checked; defaults filled in."""
    found: dict[str, Any] = {}
    for name, spec in properties.items():
        raw = request.query_params.get(name)
        if raw is None or (raw == "" and spec["type"] != "string"):
            if "default" in spec:
                found[name] = spec["default"]
            continue
        found[name] = check(spec, _convert(spec["type"], raw, name), name)
    return found


def _convert(kind: str, raw: str, name: str) -> Any:
    if kind == "integer":
        return params.integer(raw, name)
    if kind == "boolean":
        return params.boolean(raw, name)
    return raw
