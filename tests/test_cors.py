"""CORS for every door: off by default, an allow-list from CORS_ALLOW_ORIGINS."""

from __future__ import annotations

import pytest

from settings import Settings
from tests.helpers import bearer, token_for

APP = "https://app.example.com"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def test_origins_are_read_from_the_environment(tmp_path):
    env = {"TICKETGATE_DATA_DIR": str(tmp_path), "TICKETGATE_SECRET_KEY": "k" * 40}
    assert Settings.from_env(env).cors_allow_origins == ()
    env["CORS_ALLOW_ORIGINS"] = " https://a.example , https://b.example/ "
    assert Settings.from_env(env).cors_allow_origins == ("https://a.example", "https://b.example")


async def test_off_by_default(client):
    preflight = await client.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 405
    answer = await client.post(
        "/graphql", json={"query": "{ viewer { username } }"}, headers={"Origin": APP}
    )
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.alone  # asserts a 304 (tests/conftest.py)
async def test_preflight_and_answers_for_an_allowed_origin(client_with, agent):
    token = await token_for(agent)
    async with client_with(cors_allow_origins=(APP,)) as c:
        preflight = await c.options("/graphql", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == APP
        assert "POST" in preflight.headers["access-control-allow-methods"]
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "x-token"} <= set(allowed.split(", "))
        assert "access-control-allow-credentials" not in preflight.headers  # headers, no cookies

        answer = await c.post(
            "/graphql",
            json={"query": "{ viewer { username } }"},
            headers={"Origin": APP, **bearer(token)},
        )
        assert answer.json()["data"] == {"viewer": {"username": "agent"}}
        assert answer.headers["access-control-allow-origin"] == APP
        exposed = answer.headers["access-control-expose-headers"]
        assert "etag" in exposed and "x-request-id" in exposed

        for path in ("/api/v1/tickets", "/helpdesk/api/tickets/", "/support/tickets"):
            door = await c.get(path, headers={"Origin": APP, **bearer(token)})
            assert door.status_code == 200, (path, door.text)
            assert door.headers["access-control-allow-origin"] == APP

        etag = door.headers["etag"]  # a 304 is readable by the page too
        again = await c.get(
            door.url.path, headers={"Origin": APP, "If-None-Match": etag, **bearer(token)}
        )
        assert again.status_code == 304
        assert again.headers["access-control-allow-origin"] == APP


async def test_other_origins_get_no_cors_headers(client_with):
    async with client_with(cors_allow_origins=(APP,)) as c:
        preflight = await c.options(
            "/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example"}
        )
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        answer = await c.post(
            "/graphql",
            json={"query": "{ viewer { username } }"},
            headers={"Origin": "https://evil.example"},
        )
        assert "access-control-allow-origin" not in answer.headers
