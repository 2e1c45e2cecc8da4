"""Property tests (Hypothesis): the status machine keeps its invariants under any sequence of
requests by any role, and the shared parameter parsers answer a value or Invalid, never
anything else."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from models import CLOSED_STATUSES, Role, Status, Ticket, User
from resolvers.errors import Conflict, Forbidden, Invalid
from resolvers.tickets import CUSTOMER_STATUSES, TRANSITIONS, _apply_status, _resolve_status
from resolvers.validation import MAX_ID, parse_id
from rest.control_panel import parse as control_panel
from rest.helpdesk.render import duration_text
from rest.kit import params, schema

ROLES = [Role.ADMIN, Role.AGENT, Role.CUSTOMER]
requests = st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(list(Status))), max_size=30)


@settings(max_examples=150, deadline=None)
@given(requests)
def test_the_status_machine_keeps_its_invariants(steps):
    ticket = Ticket(id=1, status=Status.OPEN)
    for n, (role, wanted) in enumerate(steps):
        actor = User(id=n + 1, role=role, is_active=True)
        before = ticket.status
        try:
            new = _resolve_status(ticket, wanted, actor)
        except Forbidden:
            assert role == Role.CUSTOMER and wanted not in CUSTOMER_STATUSES
            continue
        except Conflict:
            assert wanted not in TRANSITIONS[before]
            continue
        assert new in TRANSITIONS[before]
        assert new == wanted or (wanted == Status.OPEN and new == Status.REOPENED)
        _apply_status(ticket, new, actor)
        closed = ticket.status in CLOSED_STATUSES
        assert (ticket.closed_at is not None) is closed
        assert ticket.resolved_at is None or closed
        if before in CLOSED_STATUSES and not closed:
            assert ticket.reopened_at is not None and ticket.reopened_by_id == actor.id


def _value_or_invalid(parse, *args):
    try:
        return parse(*args)
    except Invalid as exc:
        assert exc.field == args[-1] or exc.fields
        return None


@given(st.one_of(st.text(), st.integers(), st.booleans(), st.none()))
def test_ids_are_in_range_or_none(raw):
    found = parse_id(raw)
    assert found is None or 0 < found <= MAX_ID


@given(st.text())
def test_datetimes_are_utc_or_none(text):
    found = params.utc_datetime(text)
    assert found is None or found.utcoffset().total_seconds() == 0


@given(st.text(alphabet=string.digits + " :.,-dayDAY", max_size=40))
def test_durations_are_seconds_or_invalid(text):
    found = _value_or_invalid(params.duration, text, "time_spent")
    assert found is None or isinstance(found, int)


@given(st.integers(min_value=0, max_value=10**9))
def test_durations_read_back_what_the_helpdesk_writes(seconds):
    assert params.duration(duration_text(seconds), "time_spent") == seconds


@given(st.text(max_size=10))
def test_booleans_are_true_false_or_invalid(text):
    found = _value_or_invalid(params.boolean, text, "flag")
    assert found in (None, True, False)
    if found is not None:
        assert text.lower() in params.TRUE + params.FALSE


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
SCHEMAS = [
    control_panel.CREATE_TICKET,
    control_panel.MODIFY_TICKET,
    control_panel.CLOSE_TICKET,
    control_panel.MESSAGE_WITH_FILES,
    control_panel.VOTE_COMMENT,
]


@settings(max_examples=150)
@given(shape=st.sampled_from(SCHEMAS), value=JSON)
def test_bodies_are_checked_or_invalid(shape, value):
    found = _value_or_invalid(schema.check, shape, value, "body")
    assert found is None or set(found) <= set(shape["properties"])
