"""Issue 14 Low 8: webhook targets. Every private, loopback, link-local, multicast and
reserved address is refused, in every IPv6 form that embeds one (IPv4-mapped and -compatible,
NAT64, 6to4), at registration and again at each connection, which goes to the very address
checked (a DNS answer that changes in between cannot redirect it). DNS is a fake here."""

from __future__ import annotations

import httpcore
import pytest

from models import WebhookDelivery
from resolvers import outbound, webhooks
from resolvers.webhook_worker import deliver_due
from tests.helpers import bearer, token_for

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier NAT)
    "192.0.0.1",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "192.88.99.1",  # 6to4 relay anycast
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "2001::1",  # Teredo
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "::8.8.8.8",  # IPv4-compatible, even of a public address
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
    "64:ff9b::7f00:1",
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",
    "2002:0a00:0001::1",
]
ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "::ffff:93.184.216.34",
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34 (IPv6-only networks with DNS64)
    "2002:5db8:d822::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_refused_addresses(address):
    assert webhooks.forbidden_address(address)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses(address):
    assert not webhooks.forbidden_address(address)


class FakeDNS:
    """`webhooks.resolve` answering from a table that a test may change between calls."""

    def __init__(self) -> None:
        self.table: dict[str, list[str]] = {}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError("no such host")
        return self.table[host]


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(webhooks, "resolve", fake)
    return fake


class Network(httpcore.AsyncNetworkBackend):
    """Records where connections go and what is written to them; answers 204."""

    def __init__(self) -> None:
        self.connections: list[tuple[str, int]] = []
        self.sent = b""

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ASYNC109
        self.connections.append((host, port))
        network = self

        class Stream(httpcore.AsyncMockStream):
            async def write(self, buffer: bytes, timeout=None) -> None:  # noqa: ASYNC109
                network.sent += buffer

        return Stream([b"HTTP/1.1 204 No Content\r\n\r\n"])

    async def sleep(self, seconds: float) -> None:
        pass


async def subscribe(client, admin, url: str) -> int:
    response = await client.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["ticket.created"]},
        headers=bearer(await token_for(admin)),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


async def open_ticket(client, customer) -> None:
    response = await client.post(
        "/api/v1/tickets", json={"title": "x"}, headers=bearer(await token_for(customer))
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:7f00:1::]/",
        "http://[::127.0.0.1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://inward.example/",  # a name that resolves inward
        "http://mixed.example/",  # one public, one private address
    ],
)
async def test_registration_refuses_inward_targets(client, admin, dns, url):
    dns.table["inward.example"] = ["10.0.0.5"]
    dns.table["mixed.example"] = ["93.184.216.34", "127.0.0.1"]
    dns.table["2130706433"] = ["127.0.0.1"]  # (what the system resolver makes of it)
    for literal in ("64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::127.0.0.1", "::ffff:127.0.0.1"):
        dns.table[literal] = [literal]
    dns.table["169.254.169.254"] = ["169.254.169.254"]
    response = await client.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["ticket.created"]},
        headers=bearer(await token_for(admin)),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "url", "message": webhooks.PRIVATE_TARGET}
    ]


async def test_delivery_connects_to_the_checked_address_under_its_name(
    client, admin, customer, dns
):
    dns.table["hooks.example"] = ["93.184.216.34"]
    await subscribe(client, admin, "http://hooks.example:8080/in")
    await open_ticket(client, customer)
    network = Network()
    async with outbound.client(allow_private=False, backend=network) as http:
        assert await deliver_due(client=http) == 1
    assert network.connections == [("93.184.216.34", 8080)]  # the address, never the name
    assert b"Host: hooks.example:8080\r\n" in network.sent
    [row] = await WebhookDelivery.all()
    assert row.status == "delivered"


async def test_dns_rebinding_between_registration_and_sending_is_refused(
    client, admin, customer, dns
):
    dns.table["rebind.example"] = ["93.184.216.34"]
    await subscribe(client, admin, "http://rebind.example/in")
    await open_ticket(client, customer)
    dns.table["rebind.example"] = ["169.254.169.254"]  # the attacker's DNS now points inward
    network = Network()
    async with outbound.client(allow_private=False, backend=network) as http:
        assert await deliver_due(client=http) == 1
    assert network.connections == []  # nothing was sent anywhere
    [row] = await WebhookDelivery.all()
    assert row.status == "pending"
    assert row.last_error == f"ConnectError: {webhooks.PRIVATE_TARGET}"


async def test_each_connection_resolves_again(client, admin, customer, dns):
    """No address is remembered between deliveries: a later answer is checked again."""
    dns.table["flip.example"] = ["93.184.216.34"]
    await subscribe(client, admin, "http://flip.example/in")
    await open_ticket(client, customer)
    network = Network()
    async with outbound.client(allow_private=False, backend=network) as http:
        assert await deliver_due(client=http) == 1
        dns.table["flip.example"] = ["127.0.0.1"]
        await open_ticket(client, customer)
        assert await deliver_due(client=http) == 1
    assert network.connections == [("93.184.216.34", 80)]
    statuses = sorted(row.status for row in await WebhookDelivery.all())
    assert statuses == ["delivered", "pending"]
