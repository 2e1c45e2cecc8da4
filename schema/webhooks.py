"""Webhooks in GraphQL (admins): list, create, change, delete, through the same domain
functions as platform v1's `/webhooks` (resolvers/webhooks.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

import models
from resolvers import webhooks
from resolvers.pagination import Window
from schema.context import actor
from schema.ids import parse_id
from schema.payloads import INPUT, UserError, mutation, user_errors_field
from schema.types import fetch_nodes, model_node


@strawberry.type(description="A subscription: events POSTed to a URL, signed with its secret.")
class Webhook(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Where events are sent.")
    events: list[str] = strawberry.field(
        description=f"The event kinds it receives (of: {', '.join(webhooks.EVENTS)})."
    )
    active: bool = strawberry.field(description="False: nothing is sent.")
    created_at: datetime = strawberry.field(description="When it was created.")
    is_type_of = model_node(models.Webhook)

    @strawberry.field(description="The integer id platform v1 uses.")
    def database_id(self) -> int:
        return self.id

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        return await fetch_nodes(info, node_ids, webhooks.get_webhook)


@strawberry.input(description="A new webhook.")
class CreateWebhookInput:
    url: str = strawberry.field(description="An https URL (public addresses only).")
    events: list[str] = strawberry.field(description="The event kinds to send.")
    secret: str | None = strawberry.field(
        default=None, description="The signing secret; generated when omitted."
    )
    active: bool = strawberry.field(default=True, description="False: send nothing yet.")


@strawberry.input(description="Changes to a webhook: only the fields given change.")
class UpdateWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="A new URL.")
    events: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="The event kinds to send."
    )
    secret: str | None = strawberry.field(default=strawberry.UNSET, description="A new secret.")
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Send (true) or pause (false)."
    )


@strawberry.input(description="A webhook to delete, with its delivery records.")
class DeleteWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook.")


@strawberry.type(description="The result of createWebhook or updateWebhook.")
class WebhookPayload:
    webhook: Webhook | None = strawberry.field(
        default=None, description="The webhook; null when the mutation failed."
    )
    secret: str | None = strawberry.field(
        default=None, description="Its signing secret (createWebhook only)."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of deleteWebhook.")
class DeleteWebhookPayload:
    deleted_webhook_id: strawberry.ID | None = strawberry.field(
        default=None, description="The deleted webhook's global id."
    )
    user_errors: list[UserError] = user_errors_field()


async def resolve_webhooks(info: Info) -> list[Webhook]:
    return (await webhooks.list_webhooks(actor(info), Window(0, webhooks.MAX_WEBHOOKS))).items


@strawberry.type
class WebhookQueries:
    webhooks: list[Webhook] = strawberry.field(
        resolver=resolve_webhooks,
        description=f"Every webhook (admins; at most {webhooks.MAX_WEBHOOKS} exist).",
    )


def _allow_private(info: Info) -> bool:
    return info.context.settings.webhooks_allow_private


@strawberry.type
class WebhookMutations:
    @mutation("Subscribe a URL to events (admins).")
    async def create_webhook(
        self,
        info: Info,
        input: Annotated[CreateWebhookInput, strawberry.argument(description=INPUT)],
    ) -> WebhookPayload | None:
        hook = await webhooks.create_webhook(
            actor(info),
            url=input.url,
            events=list(input.events),
            secret=input.secret,
            active=input.active,
            allow_private=_allow_private(info),
        )
        return WebhookPayload(webhook=hook, secret=hook.secret)

    @mutation("Change a webhook (admins).")
    async def update_webhook(
        self,
        info: Info,
        input: Annotated[UpdateWebhookInput, strawberry.argument(description=INPUT)],
    ) -> WebhookPayload | None:
        changes = {
            name: getattr(input, name)
            for name in ("url", "events", "secret", "active")
            if getattr(input, name) is not strawberry.UNSET
        }
        hook = await webhooks.update_webhook(
            actor(info),
            parse_id(input.id, "Webhook", "id"),
            allow_private=_allow_private(info),
            **changes,
        )
        return WebhookPayload(webhook=hook)

    @mutation("Delete a webhook and its delivery records (admins).")
    async def delete_webhook(
        self,
        info: Info,
        input: Annotated[DeleteWebhookInput, strawberry.argument(description=INPUT)],
    ) -> DeleteWebhookPayload | None:
        webhook_id = parse_id(input.id, "Webhook", "id")
        await webhooks.delete_webhook(actor(info), webhook_id)
        gid = relay.GlobalID("Webhook", str(webhook_id))
        return DeleteWebhookPayload(deleted_webhook_id=strawberry.ID(str(gid)))
