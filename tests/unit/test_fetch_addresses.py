"""The address guard's classification, IPv4 hidden in IPv6 included."""

import ipaddress

import pytest

from services.fetch.addresses import _look_up, embedded_ipv4, ip_literal, is_public, resolve
from shared.errors import PermanentError


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.0.0.2", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    # IPv4-mapped, IPv4-compatible, 6to4, NAT64 (well-known and local-use), Teredo
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
    "2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::", "64:ff9b::7f00:1", "64:ff9b::a00:1",
    "64:ff9b::a9fe:a9fe", "64:ff9b:1::808:808", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [
    "8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::",
    "64:ff9b::808:808",
])
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(("address", "inner"), [
    ("::ffff:127.0.0.1", "127.0.0.1"), ("2002:a00:1::", "10.0.0.1"),
    ("64:ff9b::c0a8:101", "192.168.1.1"), ("8.8.8.8", None), ("2606:4700::1", None),
])
def test_embedded_ipv4(address: str, inner: str | None) -> None:
    found = embedded_ipv4(ipaddress.ip_address(address))
    assert (str(found) if found else None) == inner


def test_resolve_refuses_loopback_unless_allowed() -> None:
    with pytest.raises(PermanentError) as refused:
        resolve("127.0.0.1", 80)
    assert refused.value.reason == "refused_address"
    assert resolve("127.0.0.1", 80, allow_private=True) == ["127.0.0.1"]
    assert resolve("127.0.0.1", 80, allowed_networks=("127.0.0.0/8",)) == ["127.0.0.1"]


def test_resolve_refuses_names_of_loopback() -> None:
    with pytest.raises(PermanentError, match="refused_address"):
        resolve("localhost", 80)


def test_resolve_puts_ipv4_first() -> None:
    addresses = resolve("localhost", 80, allow_private=True)
    assert addresses[0] == "127.0.0.1"
    assert len(addresses) == len(set(addresses))


def test_a_refusal_names_the_settings_that_allow_it() -> None:
    with pytest.raises(PermanentError) as refused:
        resolve("127.0.0.1", 80)
    assert "127.0.0.1 resolves to non-public 127.0.0.1" in refused.value.message
    assert "COPYDESK_ALLOWED_NETWORKS" in refused.value.message
    assert "COPYDESK_ALLOW_PRIVATE_NETWORKS=true" in refused.value.message


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.0.0.2", "10.1.2.3", "93.184.216.34", "0.0.0.0", "255.255.255.255",
    "::1", "::", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:127.0.0.1", "64:ff9b::a00:1",
])
def test_an_ip_literal_is_what_the_resolver_answers_for_it(host: str) -> None:
    """The fast path (no getaddrinfo for an IP address) gives the resolver's own answer."""
    assert ip_literal(host) is not None
    looked_up = list(dict.fromkeys(_look_up(host, 80)))
    assert looked_up == [ip_literal(host)]
    assert resolve(host, 80, allow_private=True) == [str(a) for a in looked_up]


@pytest.mark.parametrize("host", [
    "localhost", "example.com", "9news.com.au", "127.1", "0x7f.0.0.1", "2130706433",
    "fe80::1%lo", "",
])
def test_names_and_forms_only_the_resolver_reads_are_looked_up(host: str) -> None:
    assert ip_literal(host) is None
