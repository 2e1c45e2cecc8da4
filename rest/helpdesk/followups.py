"""DRF's followup, followup-attachment and user views (staff only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers import comments, files, limits, tickets, users, workflows
from resolvers.errors import Conflict, NotFound
from resolvers.permissions import Actor
from rest.helpdesk import parse, render
from rest.helpdesk.errors import field_errors
from rest.helpdesk.parse import INT_STATUS, MAX_TITLE, STATUS_INT
from rest.kit.http import JSONResponse, file_response, row_of, storage


async def list_followups(request: Request, actor: Actor, data: dict) -> Response:
    number, win = parse.window(request)
    page = await comments.list_all_comments(actor, win)
    results = await render.written_followups(request, page.items)
    return render.paginated(request, number, page, results)


async def create_followup(request: Request, actor: Actor, data: dict) -> Response:
    body = await parse.body(request)
    data, errors = body.data, {}
    parse.require(errors, data, ("ticket",))
    ticket_id = parse.pk(errors, "ticket", data.get("ticket"))
    ticket = None
    if ticket_id is not None:
        try:
            ticket = await tickets.get_ticket(actor, ticket_id)
        except NotFound:
            parse.missing(errors, "ticket", ticket_id)
    elif "ticket" in data and "ticket" not in errors:
        errors["ticket"] = ["This field may not be null."]
    title = parse.text(errors, "title", data.get("title"), required=False, max_length=MAX_TITLE)
    text = parse.text(
        errors, "comment", data.get("comment", ""), required=False, max_length=limits.COMMENT
    )
    public = parse.boolean(errors, "public", data.get("public", False))
    new_status = None
    if data.get("new_status") not in (None, ""):
        new_status = parse.choice(errors, "new_status", data["new_status"], range(1, 6))
    time_spent = parse.duration(errors, "time_spent", data.get("time_spent"))
    if not errors and new_status is None and not (text or "").strip():  # (the original allows it)
        errors["comment"] = ["This field may not be blank."]
    if errors:
        raise field_errors(errors)
    status = None  # helpdesk's 1 covers in-progress: the same number changes nothing
    if new_status is not None:
        same = new_status == STATUS_INT[ticket.status]
        status = ticket.status if same else INT_STATUS[new_status]
    comment = await workflows.followup(
        actor,
        ticket.id,
        text or "",
        title=title,
        new_status=status,
        is_internal=not public,
        time_spent_seconds=time_spent,
        files=body.files.get("attachments", []),
        storage=storage(request),
    )
    return JSONResponse((await render.written_followups(request, [comment]))[0], 201)


async def get_followup(request: Request, actor: Actor, data: dict) -> Response:
    comment = await comments.get_comment(actor, parse.path_id(request))
    return JSONResponse((await render.written_followups(request, [comment]))[0])


async def _update_followup(request: Request, actor: Actor, *, partial: bool) -> Response:
    comment = await comments.get_comment(actor, parse.path_id(request))
    data, errors = (await parse.body(request)).data, {}
    if not partial:
        parse.require(errors, data, ("ticket",))
    if "ticket" in data:
        target = parse.pk(errors, "ticket", data["ticket"])
        if target is not None and target != comment.ticket_id:
            errors["ticket"] = ["Moving a followup to another ticket is not supported."]
    title = text = public = time_spent = None
    if "title" in data:
        title = parse.text(errors, "title", data["title"], required=False, max_length=MAX_TITLE)
        title = title or ""
    if "comment" in data:
        text = parse.text(
            errors, "comment", data["comment"], required=True, max_length=limits.COMMENT
        )
    if "public" in data:
        public = parse.boolean(errors, "public", data["public"])
    if "time_spent" in data:
        time_spent = parse.duration(errors, "time_spent", data["time_spent"])
    if errors:
        raise field_errors(errors)
    comment = await comments.update_comment(
        actor,
        comment.id,
        title=title,
        body=text,
        is_internal=None if public is None else not public,
        time_spent_seconds=time_spent,
    )
    return JSONResponse((await render.written_followups(request, [comment]))[0])


async def put_followup(request: Request, actor: Actor, data: dict) -> Response:
    return await _update_followup(request, actor, partial=False)


async def patch_followup(request: Request, actor: Actor, data: dict) -> Response:
    return await _update_followup(request, actor, partial=True)


async def delete_followup(request: Request, actor: Actor, data: dict) -> Response:
    await comments.delete_comment(actor, parse.path_id(request))
    return Response(status_code=204)


async def list_attachments(request: Request, actor: Actor, data: dict) -> Response:
    number, win = parse.window(request)
    page = await files.list_comment_attachments(actor, win)
    r = render.rendering(request)
    results = [render.attachment(r, row_of(a, render.ATTACHMENT_COLUMNS)) for a in page.items]
    return render.paginated(request, number, page, results)


async def create_attachment(request: Request, actor: Actor, data: dict) -> Response:
    body = await parse.body(request)
    errors: parse.Errors = {}
    parse.require(errors, body.data, ("followup",))
    uploads = body.files.get("file", [])
    if not uploads:
        errors["file"] = ["No file was submitted."]
    followup_id = parse.pk(errors, "followup", body.data.get("followup"))
    if followup_id is not None:
        try:
            await comments.get_comment(actor, followup_id)
        except NotFound:
            parse.missing(errors, "followup", followup_id)
    if errors:
        raise field_errors(errors)
    att = (await comments.attach_to_comment(actor, storage(request), followup_id, uploads[:1]))[0]
    row = row_of(att, render.ATTACHMENT_COLUMNS)
    return JSONResponse(render.attachment(render.rendering(request), row), 201)


async def get_attachment(request: Request, actor: Actor, data: dict) -> Response:
    att = await files.get_comment_attachment(actor, parse.path_id(request))
    row = row_of(att, render.ATTACHMENT_COLUMNS)
    return JSONResponse(render.attachment(render.rendering(request), row))


async def delete_attachment(request: Request, actor: Actor, data: dict) -> Response:
    await files.delete_attachment(actor, parse.path_id(request))
    return Response(status_code=204)


async def attachment_file(request: Request, actor: Actor, data: dict) -> Response:
    """The bytes behind an attachment's `file` URL (the original serves MEDIA_URL)."""
    att, content = await files.read_attachment(actor, storage(request), parse.path_id(request))
    return file_response(att, content)


async def create_user(request: Request, actor: Actor, data: dict) -> Response:
    """Admins create (customer) accounts; answers the fields without the password."""
    body = await parse.body(request)
    data, errors = body.data, {}
    parse.require(errors, data, ("username", "password"))
    names = {}
    for field in ("first_name", "last_name", "username", "email", "password"):
        if field in data:
            names[field] = parse.text(
                errors,
                field,
                data[field],
                required=field in ("username", "password"),
                max_length=1024 if field == "password" else 150,
            )
    if errors:
        raise field_errors(errors)
    name = f"{names.get('first_name') or ''} {names.get('last_name') or ''}".strip()
    try:
        user = await users.create_user(
            actor,
            username=names["username"],
            email=names.get("email") or "",
            name=name,
            password=names["password"],
        )
    except Conflict as exc:
        field = "email" if "e-mail" in exc.message else "username"
        message = f"A user with that {'email' if field == 'email' else 'username'} already exists."
        raise field_errors({field: [message]}) from None
    return JSONResponse(render.user(user, names), 201)
