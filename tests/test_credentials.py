import base64

import pytest


@pytest.mark.parametrize("prefix", ["/helpdesk/api/tickets/", "/api/v1/tickets", "/support/tickets", "/api/tickets?status=open"])
async def test_long(client, agent, prefix):
    raw = base64.b64encode(("u" * 151 + ":pw").encode()).decode()
    r = await client.get(prefix, headers={"Authorization": f"Basic {raw}"})
    print(prefix, r.status_code, r.text[:200])
    r = await client.get(prefix, headers={"X-Token": "tg_" + "a" * 17 + "_x"})
    print(prefix, r.status_code, r.text[:200])
    r = await client.post("/api/v1/auth/login", json={"email": "e" * 151, "password": "x"})
    print(r.status_code, r.text[:200])
    r = await client.post("/helpdesk/api/list_queues/", data={"user": "u" * 151, "password": "x"})
    print(r.status_code, r.text[:200])
