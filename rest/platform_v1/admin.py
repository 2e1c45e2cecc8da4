"""The platform's users and webhooks (admin) operations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers import users, webhooks
from resolvers.errors import Invalid
from resolvers.permissions import Actor
from rest.kit.http import read_json
from rest.platform_v1 import parse, render
from rest.platform_v1.parse import path_id

# ---------------------------------------------------------------- users


async def list_users(request: Request, actor: Actor, data: dict) -> Response:
    page = await users.list_users(actor, parse.user_filter(request), parse.window(request))
    return render.listing(request, page, [render.user(u) for u in page.items])


async def create_user(request: Request, actor: Actor, data: dict) -> Response:
    body = await read_json(request)
    parse.only(body, {"name", "email", "role", "password", "username"})
    if not body.get("email"):
        raise Invalid("email", "email is required.")
    user = await users.create_user(
        actor,
        username=body.get("username", body["email"]),
        email=body["email"],
        name=body.get("name", ""),
        role=body.get("role", "customer"),
        password=body.get("password"),
    )
    return render.one(render.user(user), 201)


async def get_user(request: Request, actor: Actor, data: dict) -> Response:
    return render.one(render.user(await users.get_user(actor, path_id(request))))


async def me(request: Request, actor: Actor, data: dict) -> Response:
    return render.one(render.user(await users.get_user(actor, actor.id)))


# ---------------------------------------------------------------- webhooks


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.webhooks_allow_private


async def list_webhooks(request: Request, actor: Actor, data: dict) -> Response:
    page = await webhooks.list_webhooks(actor, parse.window(request))
    return render.listing(request, page, [render.webhook(h) for h in page.items])


async def create_webhook(request: Request, actor: Actor, data: dict) -> Response:
    body = await read_json(request)
    parse.only(body, parse.WEBHOOK_FIELDS)
    hook = await webhooks.create_webhook(
        actor,
        url=body.get("url"),
        events=body.get("events"),
        secret=body.get("secret"),
        active=body.get("active", True),
        allow_private=_allow_private(request),
    )
    return render.one(render.webhook(hook, with_secret=True), 201)


async def get_webhook(request: Request, actor: Actor, data: dict) -> Response:
    return render.one(render.webhook(await webhooks.get_webhook(actor, path_id(request))))


async def update_webhook(request: Request, actor: Actor, data: dict) -> Response:
    body = await read_json(request)
    parse.only(body, parse.WEBHOOK_FIELDS)
    hook = await webhooks.update_webhook(
        actor, path_id(request), allow_private=_allow_private(request), **body
    )
    return render.one(render.webhook(hook))


async def delete_webhook(request: Request, actor: Actor, data: dict) -> Response:
    await webhooks.delete_webhook(actor, path_id(request))
    return Response(status_code=204)


async def list_deliveries(request: Request, actor: Actor, data: dict) -> Response:
    filt = webhooks.DeliveryFilter(status=request.query_params.get("status") or None)
    page = await webhooks.list_deliveries(actor, path_id(request), filt, parse.window(request))
    return render.listing(request, page, [render.delivery(d) for d in page.items])
