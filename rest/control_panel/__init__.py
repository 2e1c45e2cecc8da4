"""The control panel's Tickets API v1.1.0, mounted at /support (see docs/control_panel.md).

Tickets by number, their public comments, evaluations and votes, topics (queues) and files
uploaded before use. Every operation is declared once (ops.py): its request schema both checks
the request and documents it in the OpenAPI 3.1 answer at /support/openapi.json.
"""

from rest.control_panel.errors import CODES, STYLE
from rest.control_panel.ops import OPERATIONS
from rest.kit.mount import mount

__all__ = ["CODES", "error_response", "routes"]

routes = mount(OPERATIONS, STYLE)
error_response = STYLE.error
