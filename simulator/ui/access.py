"""Who the UI server lets in (`uiServer.accessPolicy`): pure decisions on a request's Host,
Origin, forwarded headers, peer address and transport, and the start-up check of the bound
address. No I/O here.

Why: a browser lets any web page open a WebSocket to localhost or POST text/plain to it, and a
DNS-rebinding page reaches it under its own name; the Host and Origin checks stop both. Forwarded
headers are believed only from `trustedProxies`, since anyone else can write them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from simulator.ui.settings import UIServerAccessPolicy, UIServerSettings

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
ANY_HOST = "*"
FORWARDED_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto")
SECURE_PROTOCOLS = frozenset({"https", "wss"})
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """What the decision reads of one HTTP request or WebSocket handshake."""

    headers: Mapping[str, Sequence[str]]  # lower-cased name -> every value received
    peer: str  # the socket's remote address
    tls: bool  # received over this server's own TLS


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    client: str  # the client's address as far as it is known (a trusted proxy's X-Forwarded-For)


def is_loopback(host: str) -> bool:
    """`localhost` or an address of 127.0.0.0/8 or ::1 (also IPv4-mapped)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    address = _ip(name)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def accepted_hosts(policy: UIServerAccessPolicy, bind_host: str) -> frozenset[str]:
    """Host names a request may name: allowedHosts, plus the loopback names when the server is
    bound to loopback or to every interface (the machine's own clients), or the bound name."""
    return _accepted_hosts(tuple(policy.allowed_hosts), bind_host)


@cache  # asked for every request, the same answer for the life of the server
def _accepted_hosts(allowed: tuple[str, ...], bind_host: str) -> frozenset[str]:
    derived = (
        LOOPBACK_NAMES if bind_host in WILDCARD_HOSTS or is_loopback(bind_host) else (bind_host,)
    )
    return frozenset(_host_key(host) for host in (*allowed, *derived))


def refusal(policy: UIServerAccessPolicy, bind_host: str, request: AccessRequest) -> Refusal | None:
    """Why `request` is refused (403), or None when it is let in."""
    headers = request.headers
    trusted = _is_trusted(request.peer, policy.trusted_proxies)
    forwarded = {name: list(headers.get(name, ())) for name in FORWARDED_HEADERS}
    forwarding = any(any(v.strip() for v in values) for values in forwarded.values())
    parsed = _forwarded(forwarded) if trusted and forwarding else {}
    client = parsed.get("for", request.peer) if isinstance(parsed, dict) else request.peer

    def refuse(reason: str) -> Refusal:
        return Refusal(reason, client)

    if any(len(headers.get(name, ())) > 1 for name in ("host", "origin", *FORWARDED_HEADERS)):
        return refuse("a Host, Origin or forwarding header is repeated")
    if forwarding and not trusted:
        return refuse(f"forwarding headers from {request.peer}, not in trustedProxies")
    if isinstance(parsed, str):
        return refuse(parsed)
    hosts = accepted_hosts(policy, bind_host)
    host = parsed.get("host") or next(iter(headers.get("host", ())), None)
    if host is None:
        return refuse("no Host header")
    if ANY_HOST not in hosts and _host_key(host) not in hosts:
        return refuse(f"Host {host!r} is not an accepted host name (accessPolicy.allowedHosts)")
    origin = next(iter(headers.get("origin", ())), None)
    if origin is not None and not _origin_accepted(origin, policy, hosts):
        return refuse(f"Origin {origin!r} is not accepted (accessPolicy.allowedOrigins)")
    if policy.require_tls_for_non_loopback:
        secure = parsed.get("proto", "") in SECURE_PROTOCOLS
        if forwarding and not secure:
            return refuse("a trusted proxy forwarded a request that was not https")
        if not (request.tls or secure or is_loopback(request.peer)):
            return refuse(
                f"plain http from {request.peer}, not loopback (accessPolicy."
                "requireTlsForNonLoopback: give uiServer.options a cert and key)"
            )
    return None


def exposure_refusal(settings: UIServerSettings) -> str | None:
    """Why the UI server must not start (the reason for uiServer.options.host), or None: a
    non-loopback address without authentication, unless the user wrote an accessPolicy."""
    host = settings.options.host
    if not settings.enabled or is_loopback(host) or settings.authentication.enabled:
        return None
    if "access_policy" in settings.model_fields_set:
        return None
    shown = host or "every interface"
    return (
        f"{shown} is not a loopback address and uiServer.authentication is off: anyone who "
        "reaches it could stop the simulator; enable uiServer.authentication, bind 127.0.0.1, "
        "or set uiServer.accessPolicy explicitly"
    )


def exposure_warnings(settings: UIServerSettings) -> list[str]:
    """What an explicitly exposed server will refuse, so its user knows before a client does."""
    options, policy = settings.options, settings.access_policy
    warnings: list[str] = []
    if options.host in WILDCARD_HOSTS and not policy.allowed_hosts:
        warnings.append(
            "UI server bound to every interface: only the loopback host names are accepted; "
            "list the names other clients use in uiServer.accessPolicy.allowedHosts"
        )
    plain = policy.require_tls_for_non_loopback and not (options.tls or policy.trusted_proxies)
    if plain and not is_loopback(options.host):
        warnings.append(
            "UI server without TLS on a non-loopback address: plain http from other machines "
            "is refused (uiServer.options cert and key, accessPolicy.trustedProxies or "
            "accessPolicy.requireTlsForNonLoopback false)"
        )
    return warnings


# -- parts ------------------------------------------------------------------------------------


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _host_key(host: str) -> str:
    """A Host header value or a host name, compared without port, case or trailing dot; IP
    addresses in their canonical form."""
    text = host.strip().lower()
    if text.startswith("["):  # [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # name:port or v4:port (a bare v6 has several colons)
        text = text.partition(":")[0]
    text = text.rstrip(".")
    address = _ip(text)
    return str(address) if address is not None else text


def _is_trusted(peer: str, proxies: Sequence[str]) -> bool:
    address = _ip(peer)
    return address is not None and any(_ip(proxy) == address for proxy in proxies)


def _origin_accepted(origin: str, policy: UIServerAccessPolicy, hosts: frozenset[str]) -> bool:
    parts = _origin_parts(origin)
    if parts is None:
        return False  # "null" (a sandboxed frame, a file:// page) or no origin at all
    if policy.allowed_origins:
        return any(parts == _origin_parts(allowed) for allowed in policy.allowed_origins)
    return ANY_HOST in hosts or parts[1] in hosts


def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    try:
        split = urlsplit(origin.strip())
        port = split.port
    except ValueError:
        return None
    scheme = split.scheme.lower()
    if scheme not in DEFAULT_PORTS or not split.hostname:
        return None
    return scheme, _host_key(split.hostname), port or DEFAULT_PORTS[scheme]


def _forwarded(values: Mapping[str, Sequence[str]]) -> dict[str, str] | str:
    """for/host/proto of a trusted proxy's headers, or why they are refused. One hop only: a
    chain would need to know how many of its hops to trust."""
    found: dict[str, str] = {}
    for element in _items(values.get("forwarded", ())):
        if found:
            return "a Forwarded header with more than one hop"
        for pair in element.split(";"):
            name, _, value = pair.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name in ("for", "host", "proto") and value:
                if name in found:
                    return f"Forwarded names {name} twice"
                found[name] = value
    for name, header in (
        ("for", "x-forwarded-for"),
        ("host", "x-forwarded-host"),
        ("proto", "x-forwarded-proto"),
    ):
        items = _items(values.get(header, ()))
        if not items:
            continue
        if len(items) > 1:
            return f"{header} with more than one hop"
        if name in found:
            return f"both Forwarded and {header} name the {name}"
        found[name] = items[0]
    if "proto" in found:
        found["proto"] = found["proto"].lower()
    if "for" in found:
        client = found["for"]
        address = _ip(client.strip("[]")) or _ip(_host_key(client))
        if address is None and client.lower() != "unknown" and not client.startswith("_"):
            return f"forwarded client {client!r} is not an address"
    return found


def _items(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


__all__ = [
    "AccessRequest",
    "Refusal",
    "accepted_hosts",
    "exposure_refusal",
    "exposure_warnings",
    "is_loopback",
    "refusal",
]
