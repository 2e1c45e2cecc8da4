"""`GET /graphql/files/{id}`: an attachment's bytes for GraphQL clients (`Attachment.url`).

Authorised by the signed `token` of the URL (resolvers/files.py, so links work in `<a href>`)
or by any credential header; either way the caller must be able to read the attachment now
(its ticket visible, internal comments' files for staff only). Errors in GraphQL's shape.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from resolvers import credentials, files
from resolvers.errors import DomainError, NotFound
from resolvers.validation import parse_id
from rest.kit.http import file_response
from web import caller

STATUS = {"NOT_FOUND": 404, "FORBIDDEN": 403, "UNAUTHENTICATED": 401, "RATE_LIMITED": 429}


async def download(request: Request) -> Response:
    attachment_id = parse_id(request.path_params["id"])
    try:
        if attachment_id is None:
            raise NotFound(f"Attachment {request.path_params['id']} not found.")
        token = request.query_params.get("token")
        if token is not None:
            secret = request.app.state.settings.secret_key
            user_id = files.download_user(secret, attachment_id, token, time.time())
            user = None if user_id is None else await credentials.active_user(user_id)
            if user is None:
                raise NotFound(f"Attachment {attachment_id} not found.")
        else:
            user = await caller(request)
        att, data = await files.read_attachment(user, request.app.state.storage, attachment_id)
    except DomainError as exc:
        body = {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
        return JSONResponse(body, STATUS.get(exc.code, 400))
    return file_response(att, data)
