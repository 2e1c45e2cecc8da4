"""Users, queues, login and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import auth, queues, tokens, users
from resolvers.pagination import MAX_PAGE_SIZE, Window
from resolvers.permissions import require_user
from resolvers.users import UserFilter
from schema.connections import (
    AFTER,
    BEFORE,
    FIRST,
    LAST,
    USER_ORDER,
    Connection,
    connection_of,
    keyset_for,
)
from schema.context import actor
from schema.ids import ID_ARGUMENT, parse_id
from schema.payloads import INPUT, UserError, mutation, user_errors_field
from schema.types import Queue, User, UserRole


@strawberry.input(description="Which users.")
class UserFilterInput:
    role: UserRole | None = strawberry.field(default=None, description="With this role.")
    is_active: bool | None = strawberry.field(
        default=None, description="Active (true) or deactivated (false) users."
    )
    search: str | None = strawberry.field(
        default=None, description="A substring of the name, e-mail or username (ignoring case)."
    )


async def resolve_users(
    info: Info,
    filter: Annotated[
        UserFilterInput | None, strawberry.argument(description="Which users.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
) -> Connection[User]:
    given = filter or UserFilterInput()
    filt = UserFilter(role=given.role, is_active=given.is_active, search=given.search)
    keys = keyset_for(first, after, last, before, USER_ORDER, "users")
    return connection_of(await users.users_page(actor(info), filt, keys), keys, USER_ORDER)


async def resolve_user(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=ID_ARGUMENT)]
) -> User | None:
    return await users.get_user(actor(info), parse_id(id, "User", "id"))


async def resolve_viewer(info: Info) -> User | None:
    """The signed-in user, or null for an anonymous request."""
    caller = actor(info)
    return caller if caller is not None and caller.id is not None else None


async def resolve_queues(info: Info) -> list[Queue]:
    return (await queues.list_queues(actor(info), Window(0, MAX_PAGE_SIZE))).items


@strawberry.type
class UserQueries:
    users: Connection[User] = strawberry.field(
        resolver=resolve_users,
        description="Users by id (staff see everyone, others only themselves).",
    )
    user: User | None = strawberry.field(
        resolver=resolve_user, description="A user by global id or number."
    )
    viewer: User | None = strawberry.field(
        resolver=resolve_viewer, description="The signed-in user; null when anonymous."
    )
    me: User | None = strawberry.field(resolver=resolve_viewer, description="Same as viewer.")
    queues: list[Queue] = strawberry.field(
        resolver=resolve_queues, description=f"Queues (at most {MAX_PAGE_SIZE})."
    )


@strawberry.input(description="Credentials for login.")
class LoginInput:
    password: str = strawberry.field(description="The password.")
    email: str | None = strawberry.field(
        default=None, description="The e-mail address (or give username)."
    )
    username: str | None = strawberry.field(
        default=None, description="The username (or give email)."
    )


@strawberry.type(description="The result of login.")
class LoginPayload:
    token: str | None = strawberry.field(
        default=None, description="A JWT to send as `Authorization: Bearer <token>`."
    )
    expires_at: datetime | None = strawberry.field(default=None, description="When it expires.")
    user: User | None = strawberry.field(default=None, description="Who signed in.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="A new user.")
class CreateUserInput:
    username: str = strawberry.field(
        description="Unique login name (letters, digits and @/./+/-/_)."
    )
    role: UserRole = strawberry.field(
        default=UserRole.CUSTOMER, description="What the user may do."
    )
    email: str = strawberry.field(default="", description="E-mail address.")
    name: str = strawberry.field(default="", description="Display name.")
    password: str | None = strawberry.field(
        default=None, description="Password; none: the user cannot sign in with one."
    )
    slack_id: str | None = strawberry.field(default=None, description="Slack member id.")


@strawberry.type(description="The result of a mutation creating or changing a user.")
class UserPayload:
    user: User | None = strawberry.field(
        default=None, description="The user; null when the mutation failed."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="A new API token.")
class CreateApiTokenInput:
    name: str = strawberry.field(default="", description="A label to recognise it by.")
    user: strawberry.ID | None = strawberry.field(
        default=None, description="Whose token (admins only); yourself when omitted."
    )


@strawberry.type(description="The result of createApiToken.")
class CreateApiTokenPayload:
    token: str | None = strawberry.field(
        default=None, description="Shown once; only its hash is stored."
    )
    name: str | None = strawberry.field(default=None, description="The token's label.")
    created_at: datetime | None = strawberry.field(default=None, description="When it was made.")
    user: User | None = strawberry.field(default=None, description="Whose token it is.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type
class UserMutations:
    @mutation("Exchange a username (or e-mail) and password for a JWT.")
    async def login(
        self, info: Info, input: Annotated[LoginInput, strawberry.argument(description=INPUT)]
    ) -> LoginPayload | None:
        settings, request = info.context.settings, info.context.request
        token, expires_at, user = await auth.login(
            input.email or input.username or "",
            input.password,
            settings.secret_key,
            settings.jwt_ttl_seconds,
            limiter=request.app.state.rate_limiter if request else None,
            client=request.client.host if request and request.client else "",
        )
        return LoginPayload(token=token, expires_at=expires_at, user=user)

    @mutation("Create a user (admins only).")
    async def create_user(
        self, info: Info, input: Annotated[CreateUserInput, strawberry.argument(description=INPUT)]
    ) -> UserPayload | None:
        user = await users.create_user(
            actor(info),
            username=input.username,
            email=input.email,
            name=input.name,
            role=input.role,
            password=input.password,
            slack_id=input.slack_id,
        )
        return UserPayload(user=user)

    @mutation("Create an API token for yourself (admins: for anyone).")
    async def create_api_token(
        self,
        info: Info,
        input: Annotated[CreateApiTokenInput, strawberry.argument(description=INPUT)],
    ) -> CreateApiTokenPayload | None:
        caller = require_user(actor(info))
        user_id = caller.id if input.user is None else parse_id(input.user, "User", "user")
        row, raw = await tokens.create_token(caller, user_id, input.name)
        owner = await users.get_user(caller, user_id)
        return CreateApiTokenPayload(
            token=raw, name=row.name, created_at=row.created_at, user=owner
        )
