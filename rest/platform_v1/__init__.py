"""Platform API v1 (reference 002), mounted at /api/v1: JWT login, tickets, comments with
attachments, users, webhooks; `{"data": …}` bodies, a pagination block, one error shape and
per-credential rate limits with `X-RateLimit-*` headers on every response (budget.py). See
docs/platform_v1.md for the choices made where the reference is silent.
"""

from starlette.middleware import Middleware

from rest.kit.mount import mount
from rest.platform_v1.budget import RateLimits
from rest.platform_v1.errors import STYLE, error_response
from rest.platform_v1.ops import OPERATIONS

__all__ = ["MIDDLEWARE", "error_response", "routes"]

routes = mount(OPERATIONS, STYLE)
MIDDLEWARE = [Middleware(RateLimits)]
