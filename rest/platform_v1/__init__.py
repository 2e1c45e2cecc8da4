"""Platform API v1 (reference 002), mounted at /api/v1: JWT login, tickets, comments with
attachments, users, webhooks; `{"data": …}` bodies, a pagination block, one error shape and
rate limits with `X-RateLimit-*` headers on every response (rest/budget.py, every door's). See
docs/platform_v1.md for the choices made where the reference is silent.
"""

from rest.kit.mount import mount
from rest.platform_v1.errors import STYLE, error_response
from rest.platform_v1.ops import OPERATIONS

__all__ = ["MIDDLEWARE", "error_response", "routes"]

routes = mount(OPERATIONS, STYLE)
MIDDLEWARE: list = []  # (its request budget is every door's: rest/budget.py)
