"""The floor: a bare Starlette app answering `/floor/<scenario>` with the exact bytes (status,
content type, body) captured from ticketgate for that scenario, from memory.

    python -m bench.floor --responses FILE --port N     (FILE: JSON written by bench.run)
"""

from __future__ import annotations

import argparse
import base64
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.servers import serve


def build_app(captured: dict[str, dict]) -> Starlette:
    answers = {
        name: (shot["status"], shot["content_type"], base64.b64decode(shot["body"]))
        for name, shot in captured.items()
    }

    async def answer(request: Request) -> Response:
        status, content_type, body = answers[request.path_params["name"]]
        return Response(body, status_code=status, media_type=content_type)

    return Starlette(routes=[Route("/floor/{name}", answer, methods=["GET", "POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with open(args.responses) as fh:
        serve(build_app(json.load(fh)), args.port)


if __name__ == "__main__":
    main()
