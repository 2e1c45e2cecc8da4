"""`make compare-helpdesk`'s comparison (bench/peers/compare_helpdesk.py) on canned answers:
values, not shapes, with what differs by nature between two servers normalised."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench" / "peers"))

import compare_helpdesk as compare


def test_values_of_every_list_element_are_compared():
    theirs = {"results": [{"title": "a", "status": 1}, {"title": "b", "status": 1}]}
    ours = {"results": [{"title": "a", "status": 1}, {"title": "b", "status": 2}], "x": 0}
    assert compare.differences(theirs, ours) == [
        "$.x: only in ticketgate",
        "$.results[1].status: 1 vs 2",
    ]
    assert compare.differences([1], [1, 2]) == ["$: 1 vs 2 items"]
    assert compare.differences({"on_hold": 0}, {"on_hold": False}) == ["$.on_hold: 0 vs false"]


def test_dates_origins_and_created_ids_are_normalised():
    theirs = {
        "id": 7,
        "ticket": 3,
        "queue": 1,
        "date": "2026-12-01T21:14:43.087662Z",
        "next": "http://127.0.0.1:8000/helpdesk/api/tickets/?page=2",
    }
    ours = {
        "id": 8,
        "ticket": 4,
        "queue": 1,
        "date": "2026-12-01T21:14:45Z",
        "next": "http://127.0.0.1:9000/helpdesk/api/tickets/?page=2",
    }
    assert compare.differences(compare.normalised(theirs), compare.normalised(ours)) == []
    ours["queue"] = 2  # a reference to seeded data is a value like any other
    assert compare.differences(compare.normalised(theirs), compare.normalised(ours)) == [
        "$.queue: 1 vs 2"
    ]


def test_each_difference_is_documented_or_flagged():
    assert compare.documented("OPTIONS tickets", "$.renders: 2 vs 1 items")
    assert compare.documented("tickets without slash", "status 301 vs 200")
    assert compare.documented("ticket 1", "$.title: 1 vs 2 items") is None
    assert compare.documented("ticket 1", "status 200 vs 404") is None
