"""REST `If-Match` on the ticket-updating routes: a ticket's GET tags it with its version, an
update sent with that tag changes it only while the ticket is unchanged, else 412 in the door's
own format (checked under the row lock, so two writers with one tag cannot both win)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from resolvers import comments, tickets
from tests.helpers import bearer, token_for


@dataclass(frozen=True)
class Door:
    name: str
    item: str  # the ticket's path, {id} filled in
    change: dict  # a PATCH body changing one field, {n} filled in
    field: str  # that field in the GET answer
    staff: bool  # who changes it: an agent, else the customer who opened it

    def headers(self, token: str) -> dict[str, str]:
        return {
            "platform_v1": bearer(token),
            "helpdesk": {"Authorization": f"Token {token}"},
            "control_panel": {"X-Token": token},
        }[self.name]

    def refusal(self, ticket_id: int) -> dict:
        message = f"Ticket {ticket_id} has changed since it was read; read it again."
        return {
            "platform_v1": {
                "error": {"code": "precondition_failed", "message": message, "details": []}
            },
            "helpdesk": {"detail": message},
            "control_panel": {
                "error": {"code": "precondition_failed", "message": message, "field": None}
            },
        }[self.name]

    def value(self, answer: dict):
        return (answer.get("data") or answer)[self.field]


DOORS = [
    Door("platform_v1", "/api/v1/tickets/{id}", {"title": "v{n}"}, "title", True),
    Door("helpdesk", "/helpdesk/api/tickets/{id}/", {"title": "v{n}"}, "title", True),
    Door(
        "control_panel",
        "/support/tickets/{id}",
        {"client_aliased_name": "v{n}"},
        "client_aliased_name",
        False,
    ),
]


@pytest.fixture(params=DOORS, ids=lambda d: d.name)
def door(request) -> Door:
    return request.param


@pytest.fixture
async def writer(door, agent, customer):
    """(the ticket's id, the headers of who changes it, the other ticket's id)."""
    user = agent if door.staff else customer
    mine = await tickets.create_ticket(customer, title="v0")
    other = await tickets.create_ticket(customer, title="other")
    return mine.id, door.headers(await token_for(user)), other.id


def _body(door: Door, n: int) -> dict:
    return {k: v.format(n=n) for k, v in door.change.items()}


async def _read(client, door, ticket_id, headers):
    answer = await client.get(door.item.format(id=ticket_id), headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


async def _patch(client, door, ticket_id, headers, n, if_match=None):
    extra = {} if if_match is None else {"If-Match": if_match}
    url = door.item.format(id=ticket_id)
    return await client.patch(url, json=_body(door, n), headers={**headers, **extra})


async def test_a_stale_tag_is_refused_with_412_and_changes_nothing(client, door, writer):
    ticket_id, headers, _ = writer
    tag = (await _read(client, door, ticket_id, headers)).headers["etag"]

    first = await _patch(client, door, ticket_id, headers, 1, if_match=tag)
    assert first.status_code == 200, first.text
    assert door.value(first.json()) == "v1"
    newer = first.headers["etag"]
    assert newer != tag

    stale = await _patch(client, door, ticket_id, headers, 2, if_match=tag)
    assert stale.status_code == 412
    assert stale.json() == door.refusal(ticket_id)
    assert door.value((await _read(client, door, ticket_id, headers)).json()) == "v1"

    again = await _patch(client, door, ticket_id, headers, 3, if_match=newer)
    assert again.status_code == 200, again.text
    assert door.value(again.json()) == "v3"


async def test_the_tag_stays_good_while_only_other_tickets_change(client, door, writer, agent):
    ticket_id, headers, other_id = writer
    tag = (await _read(client, door, ticket_id, headers)).headers["etag"]
    await tickets.update_ticket(agent, other_id, title="changed")
    changed = await _patch(client, door, ticket_id, headers, 1, if_match=tag)
    assert changed.status_code == 200, changed.text


async def test_a_comment_moves_the_version(client, door, writer, agent):
    ticket_id, headers, _ = writer
    tag = (await _read(client, door, ticket_id, headers)).headers["etag"]
    await comments.add_comment(agent, ticket_id, "a reply")
    assert (await _patch(client, door, ticket_id, headers, 1, if_match=tag)).status_code == 412


async def test_what_if_match_may_name(client, door, writer):
    ticket_id, headers, other_id = writer
    tag = (await _read(client, door, ticket_id, headers)).headers["etag"]
    other_tag = (await _read(client, door, other_id, headers)).headers["etag"]
    for refused in (other_tag, f"W/{tag}", '"nonsense"', "unquoted"):
        answer = await _patch(client, door, ticket_id, headers, 1, if_match=refused)
        assert answer.status_code == 412, refused
    listed = await _patch(client, door, ticket_id, headers, 1, if_match=f"{other_tag}, {tag}")
    assert listed.status_code == 200, listed.text
    for anything in ("*", None):  # `*`: any current ticket; no header: unconditional
        assert (await _patch(client, door, ticket_id, headers, 2, if_match=anything)).is_success


async def test_two_writers_with_one_tag_one_wins(client, door, writer):
    ticket_id, headers, _ = writer
    tag = (await _read(client, door, ticket_id, headers)).headers["etag"]
    answers = await asyncio.gather(
        *(_patch(client, door, ticket_id, headers, n, if_match=tag) for n in range(1, 7))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * 5
    won = next(a for a in answers if a.status_code == 200)
    final = await _read(client, door, ticket_id, headers)
    assert door.value(final.json()) == door.value(won.json())


async def test_the_ticket_tag_still_answers_304_while_nothing_changed(client, door, writer):
    """If-None-Match with a ticket's tag (store part and version): 304 while the store is
    unchanged. On PostgreSQL other databases' writes move the store's version: a few tries."""
    ticket_id, headers, _ = writer
    for _ in range(10):
        tag = (await _read(client, door, ticket_id, headers)).headers["etag"]
        url = door.item.format(id=ticket_id)
        again = await client.get(url, headers={**headers, "If-None-Match": tag})
        if again.status_code == 304:
            break
    assert again.status_code == 304
    assert again.headers["etag"] == tag  # (a cache keeps it: still good for If-Match)
    assert again.content == b""
