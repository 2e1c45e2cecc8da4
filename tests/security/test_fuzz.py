"""A short `make fuzz` inside `make test`: schemathesis cases for each OpenAPI document and the
GraphQL schema, drawn with a fixed seed (the same cases every run), sent in-process to the ASGI
app over the demo data and checked as `make fuzz` checks them (`fuzz/hooks.py`): no 5xx, no
masked internal error, no traceback answered or logged."""

from __future__ import annotations

import contextlib
import dataclasses
import logging

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.graphql.loaders import get_introspection_query

from fuzz.hooks import RELAXED, UNEXPECTED, no_internal_error
from fuzz.run import TARGETS
from models import User
from resolvers import seed
from server import build_app
from tests.helpers import client_of, token_for

CASES_PER_OPERATION = 2  # per generation mode (valid and invalid inputs)
DRAW = hypothesis_settings(
    max_examples=CASES_PER_OPERATION,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    deadline=None,
)
# The keyword arguments of requests' Request that schemathesis' serialisation fills.
REQUEST_FIELDS = ("method", "url", "headers", "params", "data", "json", "files", "cookies")


def _draw(schema) -> list[schemathesis.Case]:
    """CASES_PER_OPERATION cases of each operation in each generation mode (fewer where the
    mode has nothing to vary: an operation without inputs has no invalid ones)."""
    cases: list[schemathesis.Case] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:

            @DRAW
            @given(operation.as_strategy(generation_mode=mode))
            def collect(case):
                cases.append(case)

            with contextlib.suppress(Unsatisfiable):
                collect()
    return cases


async def _schema(client, name: str):
    path, _ = TARGETS[name]
    if name == "graphql":
        answer = await client.post(path, json={"query": get_introspection_query()})
        return schemathesis.graphql.from_dict(answer.json()["data"]), path
    document = (await client.get(path)).json()
    return schemathesis.openapi.from_dict(document), document["servers"][0]["url"]


@pytest.mark.parametrize("name", TARGETS)
async def test_a_short_fuzz_run_finds_no_server_error(settings, name, caplog):
    app = build_app(dataclasses.replace(settings, **RELAXED), manage_db=False)
    await seed.demo(settings)
    token = await token_for(await User.get(username=TARGETS[name][1]))
    async with client_of(app) as client:
        schema, base = await _schema(client, name)
        cases = _draw(schema)
        assert len(cases) >= 2 * CASES_PER_OPERATION * 10, "too few cases drawn"
        with caplog.at_level(logging.ERROR):
            for case in cases:
                sent = case.as_transport_kwargs(
                    base_url=f"http://testserver{base}",
                    headers={"Authorization": f"Bearer {token}"},
                )
                request = requests.Request(
                    **{key: sent[key] for key in REQUEST_FIELDS if key in sent}
                ).prepare()
                response = await client.request(
                    request.method, request.url, headers=request.headers, content=request.body
                )
                case.validate_response(response, checks=[no_internal_error])
    logged = [r.getMessage() for r in caplog.records if UNEXPECTED in r.getMessage() or r.exc_info]
    assert not logged, logged
