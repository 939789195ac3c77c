"""Incoming OCPP 1.6 actions to their handlers: a `Router` over an explicit table (see
ocpp16/__init__.py), so nothing registers itself by being imported and a second OCPP version
gets its own router instead of sharing a module-global dict."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from simulator.station.ocpp16.ports import Station16

Handler = Callable[[Station16, dict[str, Any]], Awaitable[dict[str, Any]]]


class Router:
    """The handlers of one OCPP version, by action name."""

    def __init__(self, handlers: dict[str, Handler]) -> None:
        # The table itself, not a copy: one router serves every station of the version.
        self.handlers = handlers

    def handler(self, action: str) -> Handler | None:
        """The action's handler; None when the station does not handle it."""
        return self.handlers.get(action)
