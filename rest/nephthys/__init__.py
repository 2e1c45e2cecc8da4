"""The nephthys dialect: a support-channel bot's read-only API, mounted at `/api`.

`/stats_v2`, `/tickets`, `/ticket`, plus `/stats` (v1 numbers), `/stats/range` and `/user`.
See docs/nephthys.md.
"""

from rest.kit.mount import mount
from rest.nephthys.errors import STYLE
from rest.nephthys.ops import OPERATIONS

routes = mount(OPERATIONS, STYLE)
error_response = STYLE.error
