"""One handler per incoming OCPP 1.6 action, registered by decorator, as in `ocpp`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.station.station import ChargingStation

Handler = Callable[["ChargingStation", dict[str, Any]], Awaitable[dict[str, Any]]]

HANDLERS: dict[str, Handler] = {}


def on(action: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[action] = handler
        return handler

    return register
