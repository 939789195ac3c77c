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
    host: str = "localhost"
    port: int = Field(default=8080, ge=0, le=65535)
    # PEM files (relative to the config file): both set, the UI server speaks https and wss.
    cert: str | None = None
    key: str | None = None

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
    type: Literal["basic-auth", "protocol-basic-auth"] = "basic-auth"
    username: str | None = None
    password: str | None = None

    @model_validator(mode="after")
    def _credentials_when_enabled(self) -> UIServerAuthentication:
        if self.enabled and not (self.username and self.password):
            raise ValueError("authentication is enabled: set username and password")
        return self


class UIServerAccessPolicy(Section):
    # Empty: an Origin is accepted when its host is an accepted host name.
    allowed_origins: list[str] = []
    # Host names accepted besides those of the bound address; "*" accepts any.
    allowed_hosts: list[str] = []
    require_tls_for_non_loopback: bool = True
    # Peers whose Forwarded / X-Forwarded-* headers are believed.
    trusted_proxies: list[str] = []

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
    type: Literal["ws", "http"] = "ws"
    options: UIServerOptions = UIServerOptions()
    authentication: UIServerAuthentication = UIServerAuthentication()
    access_policy: UIServerAccessPolicy = UIServerAccessPolicy()
