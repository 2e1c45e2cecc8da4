"""Headless Chromium against a live server (`make test-browser`; `make test` skips these).

The server runs in the test's own event loop (uvicorn on a free port), over the test database;
Chromium is Debian's (`chromium`), driven by Playwright. Every request the browser tries to
send anywhere but the server under test is refused and recorded, so these pages must work
with no internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from resolvers import tickets
from server import build_app
from tests.helpers import token_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium: apt-get install chromium (make test-browser)"
    ),
]
playwright_api = pytest.importorskip(
    "playwright.async_api", reason="no playwright: pip install -e '.[browser]' (make test-browser)"
)
WAIT_MS = 15_000


@contextlib.asynccontextmanager
async def serving(app):
    """`app` on 127.0.0.1 and a free port, in this event loop; yields its origin."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 (waits for a condition)
            await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def browser_page(*allowed_origins: str):
    """A page whose requests reach only `allowed_origins`; the rest are aborted and listed
    in `page.blocked`. Console messages about the content security policy: `page.csp`."""
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            page.blocked, page.csp = [], []

            async def only_local(route):
                url = route.request.url
                if url.startswith(allowed_origins) or url.startswith(("data:", "blob:")):
                    await route.continue_()
                else:
                    page.blocked.append(url)
                    await route.abort()

            await page.route("**/*", only_local)
            page.on(
                "console",
                lambda m: page.csp.append(m.text) if "Content Security Policy" in m.text else None,
            )
            yield page
        finally:
            await browser.close()


FRONTEND = """<!doctype html><html><body><script>
async function ask(api, token) {
  const answer = await fetch(api + "/graphql", {
    method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
    body: JSON.stringify({query: "{ viewer { username } }"}),
  });
  return {status: answer.status, body: await answer.json(),
          requestId: answer.headers.get("x-request-id")};
}
</script></body></html>"""


def frontend() -> Starlette:
    """A single-page app's origin: its page calls an API on another origin."""
    return Starlette(routes=[Route("/", lambda request: HTMLResponse(FRONTEND))])


async def test_a_page_on_another_origin_calls_graphql(settings, agent):
    token = await token_for(agent)
    async with serving(frontend()) as allowed, serving(frontend()) as stranger:
        cors = dataclasses.replace(settings, cors_allow_origins=(allowed,))
        async with (
            serving(build_app(cors, manage_db=False)) as api,
            browser_page(api, allowed, stranger) as page,
        ):
            await page.goto(allowed + "/")
            answer = await page.evaluate("([api, t]) => ask(api, t)", [api, token])
            assert answer["status"] == 200
            assert answer["body"]["data"] == {"viewer": {"username": "agent"}}
            assert answer["requestId"]  # an exposed header

            await page.goto(stranger + "/")
            refused = await page.evaluate(
                "([api, t]) => ask(api, t).then(() => 'answered', e => e.name)", [api, token]
            )
            assert refused == "TypeError"  # not on the allow-list: the browser refuses
            assert page.blocked == []


EDITORS = "document.querySelectorAll('.graphiql-editor .CodeMirror')"
SET_EDITOR = f"([n, text]) => {EDITORS}[n].CodeMirror.setValue(text)"
RESULT = "() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"


async def run_in_graphiql(page, query: str, headers: str) -> None:
    """Type one operation and its headers, then press run (once GraphiQL has seen that the
    document holds one operation: with several, the button opens a menu to pick one)."""
    await page.evaluate(SET_EDITOR, [0, query])
    await page.evaluate(SET_EDITOR, [2, headers])  # query, variables, headers
    await page.wait_for_selector(".graphiql-execute-button:not([aria-haspopup])", timeout=WAIT_MS)
    await page.click(".graphiql-execute-button")


async def test_graphiql_works_offline_and_keeps_no_token(settings, agent):
    token = await token_for(agent)
    app = build_app(dataclasses.replace(settings, subscription_poll_seconds=0.05), manage_db=False)
    async with serving(app) as api, browser_page(api) as page:
        await page.goto(api + "/graphql")
        await page.wait_for_selector(".graphiql-container .CodeMirror", timeout=WAIT_MS)
        await page.click(".graphiql-execute-button")  # the example's two operations: a menu
        await page.wait_for_selector("[role=menuitem]:has-text('Tickets')", timeout=WAIT_MS)
        await page.keyboard.press("Escape")
        headers = f'{{"Authorization": "Bearer {token}"}}'
        await run_in_graphiql(page, "{ viewer { username role } }", headers)
        await page.wait_for_function(f"() => ({RESULT})().includes('AGENT')", timeout=WAIT_MS)
        assert '"username": "agent"' in await page.evaluate(RESULT)
        stored = await page.evaluate("() => JSON.stringify(Object.assign({}, localStorage))")
        assert "viewer { username role }" in stored  # GraphiQL keeps the document...
        assert token not in stored  # ...but never the credential

        # a subscription over graphql-transport-ws, authenticated with the Headers tab
        query = "subscription { ticketEvents { type ticketNumber } }"
        await run_in_graphiql(page, query, headers)
        hub = app.state.event_hub
        async with asyncio.timeout(WAIT_MS / 1000):
            while hub.listeners == 0:  # noqa: ASYNC110 (waits for a condition)
                await asyncio.sleep(0.01)
        ticket = await tickets.create_ticket(agent, title="Seen live")
        await page.wait_for_function(
            f"() => ({RESULT})().includes('ticket.created')", timeout=WAIT_MS
        )
        assert f'"ticketNumber": {ticket.id}' in await page.evaluate(RESULT)
        assert page.blocked == [] and page.csp == []
