"""Administration: queues, users' roles, activity and passwords, API tokens, logout.

Every mutation answers a payload with the changed object (null when nothing changed) and
`userErrors { field message code }`: the caller's own mistakes (bad input, a missing object, a
conflict). Missing credentials or rights stay GraphQL errors (`UNAUTHENTICATED`, `FORBIDDEN`),
as for every other field. The rules live in resolvers/ (queues, users, tokens, auth).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import auth, queues, tokens, users
from resolvers.errors import Conflict, Invalid, NotFound
from schema.connections import Connection, forward_window
from schema.context import actor, loaders
from schema.ids import parse_id
from schema.types import Queue, User, UserRole

T = TypeVar("T")


@strawberry.type
class UserError:
    """A mistake in the mutation's input; `field` names the input field when there is one."""

    field: str | None
    message: str
    code: str


async def _attempt(work: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """Run a domain call; the caller's mistakes become userErrors, anything else propagates."""
    try:
        return await work, []
    except Invalid as exc:
        return None, [UserError(field=f, message=m, code=exc.code) for f, m in exc.fields]
    except (NotFound, Conflict) as exc:
        return None, [UserError(field=None, message=exc.message, code=exc.code)]


@strawberry.type
class ApiToken:
    """An API token's description; its secret was shown once, when it was created."""

    id: strawberry.ID
    database_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    user_id: strawberry.Private[int]

    @classmethod
    def of(cls, row) -> ApiToken:
        return cls(
            id=strawberry.ID(str(relay.GlobalID("ApiToken", str(row.id)))),
            database_id=row.id,
            name=row.name,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            user_id=row.user_id,
        )

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return await loaders(info).user.load(self.user_id)


async def resolve_api_tokens(
    info: Info,
    user: strawberry.ID | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection[ApiToken]:
    """Your API tokens; an administrator's: everyone's, or one user's (`user`)."""
    user_id = None if user is None else parse_id(user, "User", "user")
    page = await tokens.list_tokens(actor(info), user_id, forward_window(first, after))
    return Connection.from_page(replace(page, items=[ApiToken.of(row) for row in page.items]))


@strawberry.type
class AdminQueries:
    api_tokens: Connection[ApiToken] = strawberry.field(resolver=resolve_api_tokens)


@strawberry.input
class CreateQueueInput:
    title: str
    slug: str
    is_public: bool = False


@strawberry.input
class UpdateQueueInput:
    id: strawberry.ID
    title: str | None = None
    is_public: bool | None = strawberry.field(
        default=None, description="Its tickets in the anonymous nephthys feed."
    )
    archived: bool | None = strawberry.field(
        default=None, description="An archived queue takes no new tickets."
    )


@strawberry.type
class QueuePayload:
    queue: Queue | None
    user_errors: list[UserError]


@strawberry.input
class UpdateUserInput:
    id: strawberry.ID
    role: UserRole | None = None
    is_active: bool | None = strawberry.field(
        default=None, description="false: every credential of the user is refused."
    )


@strawberry.input
class SetPasswordInput:
    user: strawberry.ID
    password: str


@strawberry.type
class UpdateUserPayload:
    user: User | None
    user_errors: list[UserError]


@strawberry.input
class RevokeApiTokenInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiTokenPayload:
    revoked_token_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class LogoutPayload:
    user: User | None = strawberry.field(description="Whose session ended.")
    user_errors: list[UserError]


async def _update_queue(info: Info, given: UpdateQueueInput):
    queue_id = parse_id(given.id, "Queue", "id")
    return await queues.update_queue(
        actor(info), queue_id, title=given.title, is_public=given.is_public, archived=given.archived
    )


async def _update_user(info: Info, given: UpdateUserInput):
    user_id = parse_id(given.id, "User", "id")
    return await users.update_user(actor(info), user_id, role=given.role, is_active=given.is_active)


async def _set_password(info: Info, given: SetPasswordInput):
    user_id = parse_id(given.user, "User", "user")
    await users.set_password(actor(info), user_id, given.password)
    return await users.get_user(actor(info), user_id)


async def _revoke(info: Info, given: RevokeApiTokenInput):
    await tokens.revoke_token(actor(info), parse_id(given.id, "ApiToken", "id"))
    return given.id


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Admins: a new queue.")
    async def create_queue(self, info: Info, input: CreateQueueInput) -> QueuePayload:
        work = queues.create_queue(
            actor(info), title=input.title, slug=input.slug, is_public=input.is_public
        )
        queue, errors = await _attempt(work)
        return QueuePayload(queue=queue, user_errors=errors)

    @strawberry.mutation(description="Admins: rename, publish or archive a queue.")
    async def update_queue(self, info: Info, input: UpdateQueueInput) -> QueuePayload:
        queue, errors = await _attempt(_update_queue(info, input))
        return QueuePayload(queue=queue, user_errors=errors)

    @strawberry.mutation(description="Admins: change a user's role, deactivate or reactivate.")
    async def update_user(self, info: Info, input: UpdateUserInput) -> UpdateUserPayload:
        user, errors = await _attempt(_update_user(info, input))
        return UpdateUserPayload(user=user, user_errors=errors)

    @strawberry.mutation(description="Your own password, or anyone's as an admin (a reset).")
    async def set_password(self, info: Info, input: SetPasswordInput) -> UpdateUserPayload:
        user, errors = await _attempt(_set_password(info, input))
        return UpdateUserPayload(user=user, user_errors=errors)

    @strawberry.mutation(description="Revoke one of your API tokens (anyone's as an admin).")
    async def revoke_api_token(
        self, info: Info, input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        revoked, errors = await _attempt(_revoke(info, input))
        return RevokeApiTokenPayload(revoked_token_id=revoked, user_errors=errors)

    @strawberry.mutation(description="End the login session whose JWT this request carries.")
    async def logout(self, info: Info) -> LogoutPayload:
        request = info.context.request
        headers = request.headers if request is not None else {}
        user, errors = await _attempt(auth.logout(headers, info.context.settings.secret_key))
        return LogoutPayload(user=user, user_errors=errors)
