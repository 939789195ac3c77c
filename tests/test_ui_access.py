"""uiServer.accessPolicy as pure decisions: which Host, Origin, forwarding headers, peers and
transports the UI server lets in, and which bound addresses it refuses to start on."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from simulator.ui.access import AccessRequest, exposure_refusal, is_loopback, refusal
from simulator.ui.settings import UIServerAccessPolicy, UIServerSettings

LOCAL = "127.0.0.1"
DEFAULT = UIServerAccessPolicy()


def request(peer: str = LOCAL, tls: bool = False, **headers: str | list[str]) -> AccessRequest:
    values = {
        name.replace("_", "-"): [value] if isinstance(value, str) else value
        for name, value in headers.items()
    }
    values.setdefault("host", ["localhost:8080"])
    return AccessRequest(values, peer, tls)


def reason(
    req: AccessRequest, policy: UIServerAccessPolicy = DEFAULT, bind: str = LOCAL
) -> str | None:
    refused = refusal(policy, bind, req)
    return None if refused is None else refused.reason


def policy(**keys: Any) -> UIServerAccessPolicy:
    return UIServerAccessPolicy.model_validate(keys)


# -- Host ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]", "LocalHost."]
)
def test_loopback_names_and_addresses_are_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "", "::", "192.0.2.1", "evil.example", "localhost.evil"]
)
def test_other_names_and_wildcards_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize(
    "host", ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "LOCALHOST", "localhost.:80"]
)
def test_a_loopback_server_accepts_the_loopback_host_names_with_any_port(host: str) -> None:
    assert reason(request(host=host)) is None


@pytest.mark.parametrize("host", ["evil.example:8080", "localhost.evil.example", "10.0.0.1:8080"])
def test_a_host_header_naming_another_host_is_refused(host: str) -> None:
    # A DNS-rebinding page reaches 127.0.0.1 under its own name: its Host gives it away.
    assert "Host" in (reason(request(host=host)) or "")


def test_a_request_without_host_is_refused() -> None:
    assert reason(AccessRequest({}, LOCAL, False)) == "no Host header"


def test_a_repeated_host_header_is_refused() -> None:
    assert "repeated" in (reason(request(host=["localhost", "evil.example"])) or "")


def test_allowed_hosts_add_host_names_to_those_of_the_bound_address() -> None:
    named = policy(allowedHosts=["sim.example"])
    assert reason(request(host="sim.example:8080"), named) is None
    assert reason(request(host="localhost:8080"), named) is None
    assert reason(request(host="other.example"), named) is not None


def test_a_server_bound_to_a_name_accepts_that_name() -> None:
    assert reason(request(host="sim.lan:8080"), DEFAULT, bind="sim.lan") is None


@pytest.mark.key("uiServer.accessPolicy.allowedHosts")
def test_a_server_bound_to_every_interface_accepts_loopback_names_and_allowed_hosts_only() -> None:
    assert reason(request(host="localhost:8080"), DEFAULT, bind="0.0.0.0") is None
    assert reason(request(host="sim.lan:8080"), DEFAULT, bind="0.0.0.0") is not None
    named = policy(allowedHosts=["sim.lan"])
    assert reason(request(host="sim.lan:8080"), named, bind="0.0.0.0") is None


def test_a_star_in_allowed_hosts_accepts_any_host() -> None:
    assert reason(request(host="10.1.2.3:8080"), policy(allowedHosts=["*"]), "0.0.0.0") is None


# -- Origin -------------------------------------------------------------------------------------


def test_a_request_without_origin_is_let_in() -> None:
    # Not a browser's cross-site request: a browser always names the page's origin there.
    assert reason(request()) is None


@pytest.mark.key("uiServer.accessPolicy.allowedOrigins")
@pytest.mark.parametrize(
    "origin",
    ["http://localhost:8080", "http://127.0.0.1:8080", "https://localhost", "http://[::1]:3000"],
)
def test_an_origin_on_an_accepted_host_name_is_let_in(origin: str) -> None:
    # The page itself, and (as in the TypeScript simulator) a web UI served on another local port.
    assert reason(request(origin=origin)) is None


@pytest.mark.key("uiServer.accessPolicy.allowedOrigins")
@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "https://localhost.evil.example", "null", "file://", "ftp://localhost"],
)
def test_another_origin_is_refused(origin: str) -> None:
    assert "Origin" in (reason(request(origin=origin)) or "")


def test_allowed_origins_are_the_only_origins_let_in_when_set() -> None:
    listed = policy(allowedOrigins=["https://ui.example:8443"])
    assert reason(request(origin="https://ui.example:8443"), listed) is None
    assert reason(request(origin="HTTPS://UI.EXAMPLE:8443"), listed) is None
    assert reason(request(origin="http://ui.example:8443"), listed) is not None
    assert reason(request(origin="http://localhost:8080"), listed) is not None


def test_an_allowed_origin_without_port_means_the_default_port() -> None:
    listed = policy(allowedOrigins=["https://ui.example"])
    assert reason(request(origin="https://ui.example:443"), listed) is None


# -- TLS and proxies ----------------------------------------------------------------------------


@pytest.mark.key("uiServer.accessPolicy.requireTlsForNonLoopback")
def test_plain_http_from_another_machine_is_refused_by_default() -> None:
    refused = reason(request(peer="192.0.2.7", host="sim.lan"), DEFAULT, bind="sim.lan")
    assert refused is not None and "requireTlsForNonLoopback" in refused


def test_tls_from_another_machine_is_let_in() -> None:
    assert reason(request(peer="192.0.2.7", tls=True, host="sim.lan"), DEFAULT, "sim.lan") is None


@pytest.mark.key("uiServer.accessPolicy.requireTlsForNonLoopback")
def test_plain_http_from_another_machine_is_let_in_when_tls_is_not_required() -> None:
    relaxed = policy(requireTlsForNonLoopback=False)
    assert reason(request(peer="192.0.2.7", host="sim.lan"), relaxed, bind="sim.lan") is None


def test_forwarding_headers_from_a_peer_not_trusted_are_refused() -> None:
    refused = reason(request(x_forwarded_host="localhost"))
    assert refused is not None and "trustedProxies" in refused


def test_a_trusted_proxy_names_the_host_and_the_https_the_client_used() -> None:
    proxied = policy(trustedProxies=["192.0.2.1"], allowedHosts=["sim.example"])
    forwarded = request(
        peer="192.0.2.1",
        host="backend:8080",
        x_forwarded_host="sim.example",
        x_forwarded_proto="https",
        x_forwarded_for="198.51.100.9",
    )
    assert refusal(proxied, "0.0.0.0", forwarded) is None


def test_a_trusted_proxy_request_that_was_not_https_is_refused_when_tls_is_required() -> None:
    proxied = policy(trustedProxies=["127.0.0.1"])
    refused = reason(request(x_forwarded_proto="http", x_forwarded_for="198.51.100.9"), proxied)
    assert refused is not None and "not https" in refused


@pytest.mark.key("uiServer.accessPolicy.trustedProxies")
def test_the_rfc_7239_forwarded_header_of_a_trusted_proxy_is_read() -> None:
    proxied = policy(trustedProxies=["::1"], allowedHosts=["sim.example"])
    forwarded = request(
        peer="::1", forwarded='for="[2001:db8::7]:4711";host=sim.example;proto=https'
    )
    assert refusal(proxied, LOCAL, forwarded) is None


def test_the_client_of_a_refused_proxied_request_is_the_forwarded_address() -> None:
    proxied = policy(trustedProxies=["127.0.0.1"])
    refused = refusal(
        proxied, LOCAL, request(x_forwarded_for="198.51.100.9", origin="http://x.example")
    )
    assert refused is not None and refused.client == "198.51.100.9"


@pytest.mark.parametrize(
    "headers",
    [
        {"x_forwarded_for": "198.51.100.9, 203.0.113.4", "x_forwarded_proto": "https"},
        {"forwarded": "for=198.51.100.9, for=203.0.113.4"},
        {"forwarded": "proto=https", "x_forwarded_proto": "https"},
        {"x_forwarded_for": "not-an-address", "x_forwarded_proto": "https"},
    ],
)
def test_forwarding_headers_a_trusted_proxy_makes_ambiguous_are_refused(
    headers: dict[str, str],
) -> None:
    assert reason(request(**headers), policy(trustedProxies=["127.0.0.1"])) is not None


# -- start-up -----------------------------------------------------------------------------------


def ui(**keys: Any) -> UIServerSettings:
    return UIServerSettings.model_validate(keys)


@pytest.mark.key("uiServer.options.host")
@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.0.2.1", "sim.lan"])
def test_a_non_loopback_address_without_authentication_is_refused_at_start(host: str) -> None:
    refused = exposure_refusal(ui(options={"host": host}))
    assert refused is not None and "uiServer.authentication" in refused


@pytest.mark.key("uiServer.accessPolicy")
@pytest.mark.parametrize(
    "keys",
    [
        {"options": {"host": "127.0.0.1"}},
        {"options": {"host": "localhost"}},
        {"options": {"host": "0.0.0.0"}, "accessPolicy": {}},
        {"options": {"host": "0.0.0.0"}, "accessPolicy": {"allowedHosts": ["sim.lan"]}},
        {
            "options": {"host": "0.0.0.0"},
            "authentication": {"enabled": True, "username": "u", "password": "p"},
        },
        {"enabled": False, "options": {"host": "0.0.0.0"}},
    ],
)
def test_loopback_authentication_or_an_explicit_policy_let_the_server_start(
    keys: dict[str, Any],
) -> None:
    assert exposure_refusal(ui(**keys)) is None


@pytest.mark.parametrize(
    "keys",
    [
        {"accessPolicy": {"trustedProxies": ["proxy.lan"]}},
        {"accessPolicy": {"allowedOrigins": ["localhost:8080"]}},
        {"accessPolicy": {"allowedOrigins": ["https://ui.example/page"]}},
        {"options": {"cert": "ui.pem"}},
    ],
)
def test_policy_and_tls_keys_that_cannot_work_are_configuration_errors(
    keys: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        ui(**keys)
