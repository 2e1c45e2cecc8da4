"""Page-number paging, and the two envelopes the dialects answer lists in: DRF's
`count/next/previous/results` and the platform's `data` + `pagination` block."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request

from resolvers.errors import Invalid
from resolvers.pagination import Page, Window
from resolvers.validation import MAX_ID


def numbered(page: int, size: int) -> Window:
    """The window of page `page` (from 1) of `size` rows."""
    return Window((page - 1) * size, size)


def per_page(page: int, size: int, *, max_size: int) -> Window:
    """`page` and `per_page` checked (Invalid names the parameter)."""
    if page < 1:
        raise Invalid("page", "page must be at least 1.")
    if not 1 <= size <= max_size:
        raise Invalid("per_page", f"per_page must be between 1 and {max_size}.")
    if (page - 1) * size > MAX_ID:
        raise Invalid("page", "page is too large.")
    return numbered(page, size)


def page_url(request: Request, page: int) -> str:
    """This request's path and query with `page` replaced (other parameters kept)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return f"{request.url.path}?{urlencode([*items, ('page', page)])}"


def pagination_block(request: Request, page: Page) -> dict[str, Any]:
    """The platform's block: totals, page numbers and relative next/previous URLs."""
    size = page.limit
    current = page.offset // size + 1
    last = max(1, math.ceil(page.total / size))
    return {
        "total": page.total,
        "per_page": size,
        "current_page": current,
        "last_page": last,
        "next_page_url": page_url(request, current + 1) if current < last else None,
        "prev_page_url": page_url(request, min(current - 1, last)) if current > 1 else None,
    }


def drf_envelope(request: Request, number: int, page: Page, results: list) -> dict[str, Any]:
    """DRF's PageNumberPagination body (absolute next/previous URLs; the first page's
    `previous` drops `page`)."""
    more = page.offset + page.limit < page.total
    previous = None
    if number > 1:
        previous = _drf_page_url(request, None if number == 2 else number - 1)
    return {
        "count": page.total,
        "next": _drf_page_url(request, number + 1) if more else None,
        "previous": previous,
        "results": results,
    }


def _drf_page_url(request: Request, page: int | None) -> str:
    """The request's URL with `page` set (None: removed) as DRF's replace_query_param does
    it: the parameters sorted by name, a repeated one's values together."""
    query = parse_qs(request.url.query, keep_blank_values=True)
    query.pop("page", None)
    if page is not None:
        query["page"] = [str(page)]
    return str(request.url.replace(query=urlencode(sorted(query.items()), doseq=True)))
