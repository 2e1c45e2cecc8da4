"""Administration: queues, users' roles, activity and passwords, API tokens, logout.

Mutations in the userErrors style (schema/payloads.py): each payload holds the changed object
(null when the mutation failed) and `userErrors`; a missing credential stays a top-level
error. The rules live in resolvers/ (queues, users, tokens, auth).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import auth, queues, tokens, users
from schema.connections import (
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    Connection,
    Ordering,
    connection_of,
    keyset_for,
)
from schema.context import actor, loaders
from schema.ids import parse_id
from schema.payloads import INPUT, UserError, mutation, user_errors_field
from schema.types import Queue, User, UserRole

TOKEN_ORDER = Ordering("ApiToken", (("id", False),))


@strawberry.type(description="An API token; its secret was shown once, when it was created.")
class ApiToken:
    name: str = strawberry.field(description="Its label.")
    created_at: datetime = strawberry.field(description="When it was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When it was last used (to the minute; null: never)."
    )

    @strawberry.field(description="Its global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(relay.GlobalID("ApiToken", str(self.id))))

    @strawberry.field(description="The integer id (`ticketgate token revoke ID`).")
    def database_id(self) -> int:
        return self.id

    @strawberry.field(description="Whose token it is.")
    async def user(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.user_id)


async def resolve_api_tokens(
    info: Info,
    user: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Whose tokens (admins only); everyone's when omitted."),
    ] = None,
    first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
) -> Connection[ApiToken]:
    user_id = None if user is None else parse_id(user, "User", "user")
    keys = keyset_for(first, after, last, before, TOKEN_ORDER, "apiTokens")
    page = await tokens.tokens_page(actor(info), user_id, keys)
    return connection_of(page, keys, TOKEN_ORDER)


@strawberry.type
class AdminQueries:
    api_tokens: Connection[ApiToken] = strawberry.field(
        resolver=resolve_api_tokens,
        description="Your API tokens; an administrator's: everyone's, or one user's.",
    )


@strawberry.input(description="A new queue.")
class CreateQueueInput:
    title: str = strawberry.field(description="Its display name.")
    slug: str = strawberry.field(description="Short name: lower-case letters, digits, - and _.")
    is_public: bool = strawberry.field(
        default=False, description="List its tickets in the anonymous nephthys feed."
    )


@strawberry.input(description="Changes to a queue; omitted fields stay.")
class UpdateQueueInput:
    id: strawberry.ID = strawberry.field(description="The queue.")
    title: str | None = strawberry.field(default=None, description="A new display name.")
    is_public: bool | None = strawberry.field(
        default=None, description="Its tickets in the anonymous nephthys feed, or not."
    )
    archived: bool | None = strawberry.field(
        default=None, description="An archived queue takes no new tickets."
    )


@strawberry.input(description="Give an agent a queue, or take it away.")
class SetQueueMemberInput:
    queue: strawberry.ID = strawberry.field(description="The queue.")
    user: strawberry.ID = strawberry.field(description="The agent.")
    member: bool = strawberry.field(
        description="True: the agent has the queue; false: it has not. With per-queue staff "
        "permission on, an agent reaches the tickets of its queues and those assigned to it."
    )


@strawberry.type(description="The result of a mutation creating or changing a queue.")
class QueuePayload:
    queue: Queue | None = strawberry.field(default=None, description="Null when it failed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Changes to a user; omitted fields stay.")
class UpdateUserInput:
    id: strawberry.ID = strawberry.field(description="The user.")
    role: UserRole | None = strawberry.field(default=None, description="A new role.")
    is_active: bool | None = strawberry.field(
        default=None, description="false: every credential of the user is refused."
    )


@strawberry.input(description="A new password.")
class SetPasswordInput:
    user: strawberry.ID = strawberry.field(
        description="Whose password (yourself, or anyone's as an admin)."
    )
    password: str = strawberry.field(description="The new password.")


@strawberry.type(description="The result of updateUser and setPassword.")
class UpdateUserPayload:
    user: User | None = strawberry.field(default=None, description="Null when it failed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="The token to revoke.")
class RevokeApiTokenInput:
    id: strawberry.ID = strawberry.field(description="The token (its id or database id).")


@strawberry.type(description="The result of revokeApiToken.")
class RevokeApiTokenPayload:
    revoked_token_id: strawberry.ID | None = strawberry.field(
        default=None, description="The revoked token; null when it failed."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of logout.")
class LogoutPayload:
    user: User | None = strawberry.field(default=None, description="Whose session ended.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type
class AdminMutations:
    @mutation("Create a queue (admins only).")
    async def create_queue(
        self, info: Info, input: Annotated[CreateQueueInput, strawberry.argument(description=INPUT)]
    ) -> QueuePayload | None:
        queue = await queues.create_queue(
            actor(info), title=input.title, slug=input.slug, is_public=input.is_public
        )
        return QueuePayload(queue=queue)

    @mutation("Rename, publish or archive a queue (admins only).")
    async def update_queue(
        self, info: Info, input: Annotated[UpdateQueueInput, strawberry.argument(description=INPUT)]
    ) -> QueuePayload | None:
        queue = await queues.update_queue(
            actor(info),
            parse_id(input.id, "Queue", "id"),
            title=input.title,
            is_public=input.is_public,
            archived=input.archived,
        )
        return QueuePayload(queue=queue)

    @mutation("Give an agent a queue or take it away (admins only).")
    async def set_queue_member(
        self,
        info: Info,
        input: Annotated[SetQueueMemberInput, strawberry.argument(description=INPUT)],
    ) -> QueuePayload | None:
        change = queues.add_member if input.member else queues.remove_member
        queue_id = parse_id(input.queue, "Queue", "queue")
        queue = await change(actor(info), queue_id, parse_id(input.user, "User", "user"))
        return QueuePayload(queue=queue)

    @mutation("Change a user's role, deactivate or reactivate them (admins only).")
    async def update_user(
        self, info: Info, input: Annotated[UpdateUserInput, strawberry.argument(description=INPUT)]
    ) -> UpdateUserPayload | None:
        user_id = parse_id(input.id, "User", "id")
        user = await users.update_user(
            actor(info), user_id, role=input.role, is_active=input.is_active
        )
        return UpdateUserPayload(user=user)

    @mutation("Set your own password, or anyone's as an admin (a reset).")
    async def set_password(
        self, info: Info, input: Annotated[SetPasswordInput, strawberry.argument(description=INPUT)]
    ) -> UpdateUserPayload | None:
        user_id = parse_id(input.user, "User", "user")
        await users.set_password(actor(info), user_id, input.password)
        return UpdateUserPayload(user=await users.get_user(actor(info), user_id))

    @mutation("Revoke one of your API tokens (anyone's as an admin).")
    async def revoke_api_token(
        self,
        info: Info,
        input: Annotated[RevokeApiTokenInput, strawberry.argument(description=INPUT)],
    ) -> RevokeApiTokenPayload | None:
        await tokens.revoke_token(actor(info), parse_id(input.id, "ApiToken", "id"))
        return RevokeApiTokenPayload(revoked_token_id=input.id)

    @mutation("End the login session whose JWT this request carries.")
    async def logout(self, info: Info) -> LogoutPayload | None:
        request = info.context.request
        headers = request.headers if request is not None else {}
        user = await auth.logout(headers, info.context.settings.secret_key)
        return LogoutPayload(user=user)
