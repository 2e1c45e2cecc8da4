"""The landing page and the API docs pages, with their locally served assets (issue 15)."""

import pytest

from pages import DOORS


async def test_landing_page_links_graphiql_docs_and_health(client):
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for href in ["/graphql", "/healthz", "/readyz"] + [f"/docs/{door}" for door in DOORS]:
        assert f'href="{href}"' in page.text


@pytest.mark.parametrize("door", list(DOORS))
async def test_each_door_has_a_docs_page_over_its_openapi_document(client, door):
    page = await client.get(f"/docs/{door}")
    assert page.status_code == 200
    spec = DOORS[door][1]
    assert f'data-spec="{spec}"' in page.text
    assert "<script>" not in page.text  # no inline script (the CSP forbids it)
    document = await client.get(spec)
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
    for asset in (
        "/docs/assets/swagger-ui-5.35.0/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui-5.35.0/swagger-ui.css",
        "/docs/assets/ticketgate-docs.js",
    ):
        assert f'"{asset}"' in page.text
        served = await client.get(asset)
        assert served.status_code == 200 and len(served.content) > 100, asset


async def test_assets_carry_their_licence_and_unknown_doors_are_404(client):
    licence = await client.get("/docs/assets/swagger-ui-5.35.0/LICENSE")
    assert "Apache License" in licence.text
    assert (await client.get("/docs/nowhere")).status_code == 404
    assert (await client.get("/docs/assets/../../server.py")).status_code == 404
