"""DRF's ticket views: `tickets` (staff) and `user_tickets` (the caller's own)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers import custom_fields, files, projections, reads, tickets, views, workflows
from resolvers.errors import NotFound
from resolvers.pagination import Page, Window
from resolvers.permissions import Actor
from resolvers.projections import Row
from resolvers.reads import Read
from rest.helpdesk import parse, render
from rest.kit.http import JSONResponse, storage


def _ticket_page(actor: Actor, filt: tickets.TicketFilter, win: Window) -> Read:
    order = tickets.TicketOrder("id", descending=False)
    rows, total = yield from projections.ticket_page(actor, filt, order, win, render.TICKET_COLUMNS)
    found = yield from render.followups(actor, [row[0] for row in rows])
    return Page(rows, total, win.offset, win.limit), found


async def list_tickets(request: Request, actor: Actor, data: dict) -> Response:
    number, win = parse.window(request)
    filt = tickets.TicketFilter(
        statuses=parse.status_filter(request.query_params.get("status", ""))
    )
    page, found = await reads.run(_ticket_page(actor, filt, win))
    r = render.rendering(request, found)
    return render.paginated(request, number, page, [render.ticket(r, row) for row in page.items])


async def create_ticket(request: Request, actor: Actor, data: dict) -> Response:
    """Open a ticket (with its "Ticket Opened" followup carrying the `attachment`)."""
    body = await parse.body(request)
    changes = await parse.ticket_changes(request, actor, body.data, None, partial=False)
    attachment = body.files.get("attachment", [])[:1]
    files.check_files(attachment, field="attachment")  # before anything is written
    changes.setdefault("submitter_email", "")
    if changes["submitter_email"]:  # the submitter follows the ticket, as in the original
        changes["client_emails"] = [changes["submitter_email"]]
    defaults = custom_fields.blanks(parse.custom_defs(request))
    changes["custom_fields"] = {**defaults, **changes.get("custom_fields", {})}
    ticket = await workflows.open_with_first_message(
        actor, files=attachment, storage=storage(request), **changes
    )
    return JSONResponse(await render.written_ticket(request, actor, ticket), 201)


def _ticket_read(actor: Actor, ticket_id: int) -> Read[tuple[Row, render.Followups] | None]:
    row = yield from projections.ticket_row(actor, ticket_id, render.TICKET_COLUMNS)
    if row is None:
        return None
    return row, (yield from render.followups(actor, [ticket_id]))


async def get_ticket(request: Request, actor: Actor, data: dict) -> Response:
    found = await reads.run(_ticket_read(actor, parse.path_id(request)))
    if found is None:
        raise NotFound(request.path_params["id"])
    row, followups = found
    return JSONResponse(render.ticket(render.rendering(request, followups), row))


async def _update_ticket(request: Request, actor: Actor, *, partial: bool) -> Response:
    ticket = await tickets.get_ticket(actor, parse.path_id(request))
    body = await parse.body(request)
    changes = await parse.ticket_changes(request, actor, body.data, ticket, partial=partial)
    ticket = await tickets.update_ticket(actor, ticket.id, lenient=True, **changes)
    return JSONResponse(await render.written_ticket(request, actor, ticket))


async def put_ticket(request: Request, actor: Actor, data: dict) -> Response:
    return await _update_ticket(request, actor, partial=False)


async def patch_ticket(request: Request, actor: Actor, data: dict) -> Response:
    return await _update_ticket(request, actor, partial=True)


async def delete_ticket(request: Request, actor: Actor, data: dict) -> Response:
    await tickets.delete_ticket(actor, parse.path_id(request))
    return Response(status_code=204)


def _queues(rows: list[Row]) -> Read[dict[int, Row]]:
    """The queues (QUEUE_COLUMNS) of ticket rows in LISTING_COLUMNS."""
    queues = {r[2] for r in rows}
    found = yield from views.related([], queues=queues, queue_columns=render.QUEUE_COLUMNS)
    return found.queues


def _user_ticket_page(actor: Actor, filt: tickets.TicketFilter, win: Window) -> Read:
    order = tickets.TicketOrder("created_at")
    rows, total = yield from projections.ticket_page(
        actor, filt, order, win, render.LISTING_COLUMNS
    )
    return Page(rows, total, win.offset, win.limit), (yield from _queues(rows))


def _user_ticket(actor: Actor, ticket_id: int, filt: tickets.TicketFilter) -> Read:
    row = yield from projections.ticket_row(actor, ticket_id, render.LISTING_COLUMNS, filt)
    return row, ((yield from _queues([row])) if row is not None else {})


async def list_user_tickets(request: Request, actor: Actor, data: dict) -> Response:
    """The caller's own tickets (submitter_email = their e-mail), newest first."""
    number, win = parse.window(request)
    filt = tickets.submitted_by(actor)
    if filt is None:
        return render.paginated(request, number, Page([], 0, win.offset, win.limit), [])
    page, queue_rows = await reads.run(_user_ticket_page(actor, filt, win))
    defs = render.public_custom_defs(request)
    results = [render.listing(row, queue_rows, defs) for row in page.items]
    return render.paginated(request, number, page, results)


async def get_user_ticket(request: Request, actor: Actor, data: dict) -> Response:
    ticket_id = parse.path_id(request)
    filt = tickets.submitted_by(actor)
    if filt is None:
        raise NotFound(request.path_params["id"])
    row, queue_rows = await reads.run(_user_ticket(actor, ticket_id, filt))
    if row is None:
        raise NotFound(request.path_params["id"])
    return JSONResponse(render.listing(row, queue_rows, render.public_custom_defs(request)))
