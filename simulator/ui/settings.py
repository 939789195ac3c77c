"""The `uiServer` section of config.json: where the UI server listens (and with which TLS
certificate), who it asks for credentials, and which requests it lets in (`accessPolicy`, the
TypeScript simulator's keys)."""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from simulator.config_section import Section


class UIServerOptions(Section):
    host: str = Field(
        default="localhost",
        description="interface to bind. Not loopback (`0.0.0.0`, a LAN address) with "
        "authentication off: `evsim run` refuses to start (exit 2) unless uiServer.accessPolicy "
        "is set explicitly",
    )
    port: int = Field(default=8080, ge=0, le=65535)
    """port to bind (0: any free port); in use: start-up stops, exit 2"""
    cert: str | None = Field(
        default=None,
        description="PEM certificate (chain) file, relative to the config file: with key, the "
        "UI server speaks https and wss",
    )
    key: str | None = Field(default=None, description="PEM private key file of cert")

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> UIServerOptions:
        if (self.cert is None) != (self.key is None):
            raise ValueError("set both cert and key (PEM files) for https/wss, or neither")
        return self

    @property
    def tls(self) -> bool:
        return self.cert is not None


class UIServerAuthentication(Section):
    enabled: bool = False
    """ask for credentials"""
    type: Literal["basic-auth", "protocol-basic-auth"] = "basic-auth"
    """`basic-auth` (HTTP Authorization header) or `protocol-basic-auth` (in the WebSocket
    subprotocol)"""
    username: str | None = None
    """user name (required when enabled)"""
    password: str | None = None
    """password (required when enabled)"""

    @model_validator(mode="after")
    def _credentials_when_enabled(self) -> UIServerAuthentication:
        if self.enabled and not (self.username and self.password):
            raise ValueError("authentication is enabled: set username and password")
        return self


class UIServerAccessPolicy(Section):
    allowed_origins: list[str] = Field(
        default=[],
        description="web origins (`https://host:port`) whose pages may use the UI; empty: an "
        "Origin whose host is an accepted host name. A request without Origin (not a browser's "
        "cross-site one) passes",
    )
    allowed_hosts: list[str] = Field(
        default=[],
        description="Host header names accepted besides `localhost`, `127.0.0.1`, `::1` "
        "(loopback or every-interface binding) or the bound name; `*`: any (no DNS-rebinding "
        "check)",
    )
    require_tls_for_non_loopback: bool = Field(
        default=True,
        description="refuse plain http/ws from a peer that is not loopback (accepted: this "
        "server's TLS, or `https` forwarded by a trusted proxy)",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="IP addresses whose Forwarded / X-Forwarded-For, -Host, -Proto headers are "
        "believed (one hop); such headers from any other peer: 403",
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
                raise ValueError(f"{origin!r} is not an origin like https://host:port")
        return origins

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_address(proxy)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address") from None
        return proxies


class UIServerSettings(Section):
    enabled: bool = True
    """serve the UI"""
    type: Literal["ws", "http"] = "ws"
    """`ws` (WebSocket and HTTP) or `http` (HTTP only)"""
    options: UIServerOptions = UIServerOptions()
    """where the UI server listens"""
    authentication: UIServerAuthentication = UIServerAuthentication()
    """credentials the UI asks for"""
    access_policy: UIServerAccessPolicy = Field(
        default=UIServerAccessPolicy(),
        description="which requests the UI server lets in; others get 403 and a warning in the "
        "log. Setting it (even `{}`) also allows a non-loopback host without authentication",
    )
