"""Health and readiness routes for load balancers and orchestrators."""

from __future__ import annotations

import shutil

import httpx

from resolvers import health
from server import build_app


async def test_healthz_answers_without_credentials_or_tags(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "etag" not in response.headers


async def test_readyz_checks_database_and_migrations(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }
    assert "etag" not in response.headers


async def test_readyz_is_503_with_a_migration_not_applied(client, tmp_path, monkeypatch):
    for path in health.MIGRATIONS_DIR.glob("[0-9]*.py"):
        shutil.copy(path, tmp_path)
    (tmp_path / "0999_future.py").write_text("")
    monkeypatch.setattr(health, "MIGRATIONS_DIR", tmp_path)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"pending": ["0999_future"]}


async def test_readyz_is_503_when_the_webhook_worker_should_run_but_does_not(settings):
    app = build_app(settings, manage_db=False, webhook_worker=True)  # lifespan never started it
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["webhook_worker"] == "stopped"
