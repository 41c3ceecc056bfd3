"""The caller's address, for the sign-in rate limit: the connection's peer, unless that peer
is a reverse proxy listed in `TRUSTED_PROXIES` (none by default), whose `X-Forwarded-For` is
then read from the right, skipping trusted proxies, up to the first address they did not add.
A client cannot choose its address by sending the header itself."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from healthai.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(spec: str) -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    )


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def parse_networks(spec: str) -> tuple[Network, ...]:
    """The networks of a `TRUSTED_PROXIES` value; raises ValueError on a malformed one."""
    return _networks(spec)


def client_address(settings: Settings, peer: str | None, forwarded_for: str | None) -> str:
    """The client's address given the connection's `peer` and its `X-Forwarded-For` header
    (all values joined by commas), believing the header only from `TRUSTED_PROXIES`."""
    address = (peer or "unknown").strip()
    networks = _networks(settings.trusted_proxies)
    if not networks or not forwarded_for or not _trusted(address, networks):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed chain: keep the proxy's own address
        if not _trusted(hop, networks):
            return hop
        address = hop
    return address
