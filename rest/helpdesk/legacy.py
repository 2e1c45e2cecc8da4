"""The old POST-only django-helpdesk API (0.1): POST /helpdesk/api/<method>/.

Every request carries `user` and `password` form fields (staff only). Answers are plain text
(`list_queues`: text/json): 200 with the new id or an empty body, 400/404 with a message,
403 bad credentials, 429 when the password throttle (`resolvers/auth.LoginThrottle`) holds
the login, 405 for anything but POST. Mounted after the REST routes (rest/helpdesk/); see
docs/helpdesk.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from models import User
from resolvers import auth, comments, limits, queues, tickets, users, workflows
from resolvers.errors import (
    DomainError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from resolvers.pagination import Window
from resolvers.permissions import require_staff
from resolvers.validation import parse_id
from rest.kit.mount import HTTP_METHODS
from web import client_address

MAX_QUEUES = 1000
REQUIRED = "This field is required."


def _text(status: int, message: str = "", **headers: str) -> Response:
    return PlainTextResponse(message, status, headers=headers or None)


def _form_errors(errors: dict[str, list[str]]) -> Response:
    """Django's ErrorDict.as_text(): "* field\\n  * message"."""
    lines = []
    for field, messages in errors.items():
        lines.append(f"* {field}")
        lines.extend(f"  * {m}" for m in messages)
    return _text(400, "\n".join(lines))


def _invalid_choice(raw: str) -> list[str]:
    return [f"Select a valid choice. {raw} is not one of the available choices."]


async def _queue(user: User, errors: dict, raw: str) -> int | None:
    if not raw:
        errors["queue"] = [REQUIRED]
        return None
    queue_id = parse_id(raw)
    try:
        if queue_id is not None:
            return (await queues.get_queue(user, queue_id)).id
    except NotFound:
        pass
    errors["queue"] = _invalid_choice(raw)
    return None


async def _ticket_id(user: User, form: FormData) -> int:
    ticket_id = parse_id(form.get("ticket", ""))
    if ticket_id is None:
        raise NotFound("Invalid ticket ID")
    try:
        return (await tickets.get_ticket(user, ticket_id)).id
    except NotFound:
        raise NotFound("Invalid ticket ID") from None


async def create_ticket(user: User, form: FormData) -> Response:
    errors: dict[str, list[str]] = {}
    queue_id = await _queue(user, errors, form.get("queue", ""))
    title = form.get("title", "").strip()
    if not title:
        errors["title"] = [REQUIRED]
    elif len(title) > limits.LEGACY_TITLE:
        errors["title"] = [
            f"Ensure this value has at most {limits.LEGACY_TITLE} characters (it has {len(title)})."
        ]
    body = (form.get("body") or form.get("description") or "").strip()
    if not body:
        errors["body"] = [REQUIRED]
    priority = 3
    if form.get("priority"):
        priority = parse_id(form["priority"])
        if priority not in range(1, 6):
            errors["priority"] = _invalid_choice(form["priority"])
    fields: dict = {}
    submitter = form.get("submitter_email", "").strip()
    if submitter:  # the submitter follows the ticket (client_emails), as in the original
        fields.update(submitter_email=submitter, client_emails=[submitter])
    if form.get("assigned_to"):
        fields["assigned_to_id"] = parse_id(form["assigned_to"])
        if fields["assigned_to_id"] is None:
            errors["assigned_to"] = _invalid_choice(form["assigned_to"])
    if errors:  # with the domain's complaints about the other fields: every field at once
        rest = {k: v for k, v in fields.items() if _form_field(k) not in errors}
        for error in await tickets.field_errors(user, None, rest, lenient=True):
            errors.setdefault(_form_field(error.field), _form_words(error))
        return _form_errors(errors)
    try:
        ticket = await workflows.open_with_first_message(
            user, title=title, description=body, queue_id=queue_id, priority=priority, **fields
        )
    except Invalid as exc:
        found: dict[str, list[str]] = {}
        for error in exc.fields:
            found.setdefault(_form_field(error.field), _form_words(error))
        return _form_errors(found)
    return _text(200, str(ticket.id))


def _form_field(field: str) -> str:
    """A domain field's name in the form (its contacts are its submitter)."""
    name = field.removesuffix("_id").split(".")[0]
    return "submitter_email" if name == "client_emails" else name


def _form_words(error: FieldError) -> list[str]:
    """The domain's error in the Django form's words, where Django has some."""
    if error.code == "invalid_email":
        return ["Enter a valid email address."]
    if error.code == "does_not_exist":
        return _invalid_choice(str(error.params["value"]))
    return [error.message]


async def delete_ticket(user: User, form: FormData) -> Response:
    if not form.get("confirm"):
        return _text(400, "No confirmation provided")
    await tickets.delete_ticket(user, await _ticket_id(user, form))
    return _text(200)


async def hold_ticket(user: User, form: FormData) -> Response:
    await tickets.set_hold(user, await _ticket_id(user, form), True)
    return _text(200)


async def unhold_ticket(user: User, form: FormData) -> Response:
    await tickets.set_hold(user, await _ticket_id(user, form), False)
    return _text(200)


async def add_followup(user: User, form: FormData) -> Response:
    ticket_id = await _ticket_id(user, form)
    public = form.get("public", "n")
    if public not in ("y", "n"):
        return _text(400, "Invalid 'public' flag")
    message = form.get("message", "")
    if not message.strip():
        return _text(400, "Blank message")
    await comments.add_comment(user, ticket_id, message, is_internal=public == "n")
    return _text(200)


async def resolve(user: User, form: FormData) -> Response:
    """A public followup titled "Resolved", the resolution, and status Resolved."""
    ticket_id = await _ticket_id(user, form)
    resolution = form.get("resolution", "")
    if not resolution.strip():
        return _text(400, "Blank resolution")
    await workflows.resolve_with_note(user, ticket_id, resolution)
    return _text(200)


async def list_queues(user: User, form: FormData) -> Response:
    page = await queues.list_queues(user, Window(0, MAX_QUEUES))
    body = orjson.dumps([{"id": str(q.id), "title": q.title} for q in page.items])
    return Response(body, 200, media_type="text/json")


async def find_user(user: User, form: FormData) -> Response:
    try:
        found = await users.user_by_username(user, form.get("username", ""))
    except NotFound:
        return _text(400, "Invalid username provided")
    return _text(200, str(found.id))


METHODS: dict[str, Callable[[User, FormData], Awaitable[Response]]] = {
    "create_ticket": create_ticket,
    "delete_ticket": delete_ticket,
    "hold_ticket": hold_ticket,
    "unhold_ticket": unhold_ticket,
    "add_followup": add_followup,
    "resolve": resolve,
    "list_queues": list_queues,
    "find_user": find_user,
}

HELP = (
    "<html><head><title>Helpdesk API</title></head><body><h1>Helpdesk API</h1>"
    "<p>POST to /helpdesk/api/&lt;method&gt;/ with <em>user</em> and <em>password</em>."
    " Methods: " + ", ".join(METHODS) + ". See docs/helpdesk.md.</p></body></html>"
)


async def api(request: Request) -> Response:
    method = request.path_params["method"]
    if method == "help" and request.method in ("GET", "HEAD"):
        return HTMLResponse(HELP)
    if request.method != "POST":
        return _text(405, "Invalid request method", Allow="POST")
    try:
        form = await request.form(max_files=0, max_fields=100)
    except HTTPException as exc:
        return _text(400, f"Malformed form data: {exc.detail}")
    try:
        user = await auth.password_credential(
            form.get("user", ""),
            form.get("password", ""),
            limiter=request.app.state.rate_limiter,
            client=client_address(request),
        )
    except Unauthenticated:
        return _text(403, "Invalid username or password")
    except RateLimited as exc:
        message = f"Request was throttled. Expected available in {exc.retry_after} seconds."
        return _text(429, message, **{"Retry-After": str(exc.retry_after)})
    try:
        require_staff(user)
    except Forbidden:
        return _text(403, "Only staff may use this API")
    handler = METHODS.get(method)
    if handler is None:
        return _text(400, "Error")
    try:
        return await handler(user, form)
    except NotFound as exc:
        return _text(404, exc.message)
    except Forbidden as exc:
        return _text(403, exc.message)
    except DomainError as exc:  # Invalid, Conflict: a generic error with its text
        return _text(400, exc.message)


routes = [
    Route("/{method}/", api, methods=HTTP_METHODS),
    Route("/{method}", api, methods=HTTP_METHODS),
]
