"""Where webhooks may go. Live mode: https only, and never to loopback, link-local, private
or otherwise non-public addresses unless the operator set ``DEALERHUB_WEBHOOK_ALLOW_PRIVATE``.
Test mode also allows http and loopback (a developer's own machine).

URLs are checked when an endpoint is saved and again before every attempt, because DNS
answers change. An attempt then connects to an address that check resolved and passed
(:func:`destination`), never to a second DNS answer: otherwise a name that answered with a
public address for the check could answer with an internal one for the connection (DNS
rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from dealerhub.errors import InvalidRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(InvalidRequest):
    code = "url_invalid"


def resolve(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to (a seam tests replace to avoid real DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host!r} could not be resolved.", param="url") from exc
    return [ipaddress.ip_address(a.split("%")[0]) for a in found]


# IPv6 prefixes that carry an IPv4 address in their low 32 bits (RFC 6052 NAT64, well-known
# and local-use): 64:ff9b::a9fe:a9fe reaches 169.254.169.254 through a NAT64 gateway.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: mapped, 6to4, Teredo (server and
    client) and NAT64. Python marks several of these prefixes global, so each embedded
    address is checked on its own."""
    found = [a for a in (addr.ipv4_mapped, addr.sixtofour) if a is not None]
    if addr.teredo is not None:
        found.extend(addr.teredo)
    if any(addr in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return found


def _public(addr: IPAddress) -> bool:
    candidates: list[IPAddress] = [addr]
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(addr)
        if addr.ipv4_mapped is not None:
            candidates = []  # a mapped address is only its IPv4 address
        candidates.extend(embedded)
    return all(a.is_global and not a.is_multicast for a in candidates)


def check_url(url: str, *, livemode: bool, allow_private: bool, resolve_host: bool = True) -> None:
    """Raise :class:`UnsafeURL` (a 400 naming ``url``) unless ``url`` may receive webhooks."""
    _checked(url, livemode=livemode, allow_private=allow_private, resolve_host=resolve_host)


def destination(url: str, *, livemode: bool, allow_private: bool) -> str | None:
    """Check ``url`` as :func:`check_url` does and return the address an attempt must connect
    to: one the check resolved and passed. ``None`` when the operator allows private
    addresses (nothing to pin: the connection resolves the name itself)."""
    addresses = _checked(url, livemode=livemode, allow_private=allow_private, resolve_host=True)
    return str(addresses[0]) if addresses else None


def _checked(
    url: str, *, livemode: bool, allow_private: bool, resolve_host: bool
) -> list[IPAddress]:
    """The addresses ``url``'s host resolved to, every one of them allowed (empty when
    nothing was resolved); :class:`UnsafeURL` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL("The url is not a valid URL.", param="url") from exc
    allowed_schemes = {"https"} if livemode else {"http", "https"}
    if parts.scheme not in allowed_schemes:
        need = "https" if livemode else "http or https"
        raise UnsafeURL(f"Webhook URLs must use {need} in this mode.", param="url")
    if not parts.hostname:
        raise UnsafeURL("The url has no host.", param="url")
    if parts.username or parts.password:
        raise UnsafeURL("Webhook URLs may not carry credentials.", param="url")
    if allow_private or not resolve_host:
        return []
    addresses = _addresses(parts.hostname, port)
    for addr in addresses:
        if _public(addr) or (not livemode and addr.is_loopback):
            continue
        raise UnsafeURL(
            "Webhook URLs may not point at loopback, link-local or private addresses.",
            param="url",
        )
    return addresses
