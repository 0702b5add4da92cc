"""The address guard: which IP addresses a configured URL may make us connect to (SSRF)."""

import functools
import ipaddress
import socket

from shared.errors import PermanentError, TransientError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# RFC 6052's well-known NAT64 prefix: an IPv4 address hides in the last 32 bits.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
# RFC 8215's local-use translation prefix only reaches a site's own translator: always refused.
LOCAL_NAT64_PREFIX = ipaddress.ip_network("64:ff9b:1::/48")
# What a refused user needs to know: the settings that let such an address through.
ALLOW_HINT = ("to fetch it, set COPYDESK_ALLOWED_NETWORKS to its network (CIDR) or "
              "COPYDESK_ALLOW_PRIVATE_NETWORKS=true")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, 6to4, NAT64, Teredo), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True when the address, and any IPv4 address hidden inside it, is globally routable."""
    if address in LOCAL_NAT64_PREFIX:
        return False
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    if inner is not None and _translates(address):
        return True  # the packets go to the IPv4 address, judged above
    special = (address.is_loopback or address.is_private or address.is_link_local
               or address.is_multicast or address.is_reserved or address.is_unspecified)
    # is_global also rules out shared address space (100.64/10) and documentation ranges.
    return not special and address.is_global


def _translates(address: IPAddress) -> bool:
    # Mapped and NAT64 addresses are just IPv4 addresses in transit; Python's is_global
    # calls them all non-global, public or not.
    return isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None or address in NAT64_PREFIX)


def resolve(host: str, port: int, *, allow_private: bool = False,
            allowed_networks: tuple[str, ...] = ()) -> list[str]:
    """Resolve `host` once: the addresses to connect to (IPv4 first), if all are allowed.

    Every resolved address must pass, not just the first: a name that answers with one
    public and one private address is refused. `allowed_networks` are exempt (an intranet
    mirror an operator trusts, a test's loopback server).
    """
    literal = ip_literal(host)
    addresses = [literal] if literal is not None else _look_up(host, port)
    if not addresses:
        raise TransientError("connection_error", f"{host} has no address")
    if not allow_private:
        exempt = _networks(allowed_networks)
        refused = [str(a) for a in addresses
                   if not is_public(a) and not any(a in network for network in exempt)]
        if refused:
            raise PermanentError("refused_address", f"{host} resolves to non-public "
                                 f"{', '.join(refused)}; {ALLOW_HINT}")
    # IPv4 first: a host's IPv6 is the more often broken of the two.
    ordered = sorted(dict.fromkeys(addresses), key=lambda a: a.version)
    return [str(address) for address in ordered]


def ip_literal(host: str) -> IPAddress | None:
    """The address a host that is an IP address in its usual form names, or None (a name, or a
    form only the resolver reads, such as 127.1): getaddrinfo would answer it with itself."""
    if "%" in host or not (host[:1].isdigit() or ":" in host):
        return None  # a scoped address (the resolver drops the scope), or a name
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _look_up(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TransientError("connection_error", f"cannot resolve {host}: {error}") from error
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


@functools.lru_cache(maxsize=16)
def _networks(allowed_networks: tuple[str, ...]) -> list[IPNetwork]:
    """The exempt networks, parsed once for the settings' tuple, not on every request."""
    return [ipaddress.ip_network(network) for network in allowed_networks]
