from tests.conftest import gql, token_for


async def test_viewer(client, agent):
    body = await gql(client, "{ viewer { username role } }", await token_for(agent))
    assert body == {"data": {"viewer": {"username": "agent", "role": "AGENT"}}}
