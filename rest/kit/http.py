"""JSON in and out, request bodies, uploads and downloads: the HTTP pieces every dialect uses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import orjson
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from models import Attachment
from resolvers import limits
from resolvers.files import NewFile, Storage

_UNSAFE_IN_HEADER = re.compile(r'[^\x20-\x7e]|["\\]')


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class MalformedBody(Exception):
    """The request body is not what the route expects (not JSON, not an object, …); the mount
    answers 400 in the dialect's error format."""


async def read_json(request: Request, *, want_object: bool = True) -> Any:
    body = await request.body()
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        raise MalformedBody("Request body is not valid JSON.") from None
    if want_object and not isinstance(data, dict):
        raise MalformedBody("Request body must be a JSON object.")
    return data


def row_of(instance: Any, names: Sequence[str]) -> tuple:
    """A model instance as a projection row of `names`: a write answers with what it wrote,
    rendered by the same code as the lean reads (whose converters take both forms)."""
    return tuple(getattr(instance, name) for name in names)


def storage(request: Request) -> Storage:
    return request.app.state.storage


async def new_file(upload: UploadFile, default_name: str = "") -> NewFile:
    """A multipart file part, read up to one byte past the domain's limit (enough for
    `files.check_files` to refuse a larger one)."""
    return NewFile(
        upload.filename or default_name,
        upload.content_type or "application/octet-stream",
        await upload.read(limits.FILE_BYTES + 1),
    )


def file_response(att: Attachment, data: bytes, *, ascii_name: bool = False) -> Response:
    """An attachment's bytes as a download: its stored type and its name as RFC 6266's UTF-8
    `filename*` (with a plain `filename=` for old clients when `ascii_name`)."""
    name = f"filename*=UTF-8''{quote(att.filename)}"
    if ascii_name:
        name = f'filename="{_UNSAFE_IN_HEADER.sub("_", att.filename)}"; {name}'
    headers = {"Content-Disposition": f"attachment; {name}", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=att.mime_type, headers=headers)


class IdConvertor(IntegerConvertor):
    """`{name:id}` in a route: a database id of at most 10 digits (longer ones do not match
    the route, so they fall through to the dialect's not-found answer instead of overflowing)."""

    regex = "[0-9]{1,10}"


register_url_convertor("id", IdConvertor())
