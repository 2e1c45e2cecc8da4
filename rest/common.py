"""Transitional: what the dialects not yet moved onto rest/kit/ import (removed with the last)."""

from rest.kit.http import (  # noqa: F401
    JSONResponse,
    MalformedBody,
    file_response,
    new_file,
    read_json,
    row_of,
    storage,
)
from rest.kit.mount import HTTP_METHODS  # noqa: F401
from rest.kit.openapi import parameter  # noqa: F401
from rest.kit.params import optional_integer as int_param  # noqa: F401
from rest.kit.params import utc_datetime  # noqa: F401
from rest.kit.schema import ref as schema_ref  # noqa: F401
from rest.kit.status import status_for  # noqa: F401
from web import caller, client_address  # noqa: F401
