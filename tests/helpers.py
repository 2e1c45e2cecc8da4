"""Helpers the tests share (import them from here; conftest.py holds fixtures only)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket

import httpx

from resolvers import tokens, users
from resolvers.permissions import SYSTEM

ON_POSTGRES = os.environ.get("TICKETGATE_TEST_DATABASE") == "postgres"
PASSWORD = "correct-horse-battery"


def pg_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")


async def make_user(username: str, role: str, **extra):
    return await users.create_user(
        SYSTEM,
        username=username,
        email=f"{username}@example.com",
        name=username.title(),
        role=role,
        password=PASSWORD,
        **extra,
    )


async def token_for(user) -> str:
    _, raw = await tokens.create_token(SYSTEM, user.id, "test")
    return raw


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str = PASSWORD) -> dict[str, str]:
    """HTTP Basic credentials."""
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def gql(client: httpx.AsyncClient, query: str, token: str | None = None, **variables):
    """POST a GraphQL document; returns the decoded body (status is always 200 for GraphQL)."""
    headers = bearer(token) if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


class StatementCounter(logging.Handler):
    """Counts SQL statements sent by Tortoise (its `tortoise.db_client` debug log)."""

    VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(self.VERBS):
            self.statements.append(message)


async def wait_ready(url: str, server, seconds: float = 60) -> None:
    """Wait until the server process at `url` answers /readyz with 200 (it must not exit)."""
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            assert server.returncode is None, "the server exited"
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not start")


def client_of(app) -> httpx.AsyncClient:
    """An HTTP client of the ASGI app, in process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
