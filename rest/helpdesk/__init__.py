"""django-helpdesk 2.x REST API (Django REST Framework) under /helpdesk/api/.

Routes as DRF's DefaultRouter lays them out (ops.py): tickets, user_tickets, followups,
followups-attachments, users, the API root and /openapi.json, each view answering OPTIONS
with DRF's metadata and every answer with its `Allow` (metadata.py); then the legacy POST
API's `/<method>/` routes (legacy.py). Bodies, pagination and errors are DRF's. Mapping and
deviations: docs/helpdesk.md.
"""

from starlette.middleware import Middleware

from rest.helpdesk import legacy, metadata
from rest.helpdesk.errors import STYLE
from rest.helpdesk.ops import NAMES, OPERATIONS
from rest.kit.mount import mount

routes = mount(
    [*OPERATIONS, *metadata.options_operations(OPERATIONS)],
    STYLE,
    names=NAMES,
    both_slashes=True,
    before_catch_all=legacy.routes,
)
MIDDLEWARE = [Middleware(metadata.AllowHeader, routes=routes, operations=OPERATIONS)]
error_response = STYLE.error
