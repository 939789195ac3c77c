"""An incoming CALL to its handler, and what the station refuses first: an action its OCPP
version has no handler for (NotSupported when the version defines it, NotImplemented when not),
one the template's commandsSupport disables, one the version refuses in the registration's
state (the adapter's `refusal`). The same rules hold for every version; the adapter names
the actions (`Version`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from simulator.station.frames import CallError, ErrorCode, OcppError
from simulator.station.rpc import CallFailed
from simulator.template_model import StationTemplate

Payload = dict[str, Any]
Answer = Callable[[Payload], Awaitable[Payload]]
"""A handler bound to its station: the payload of a CALL to the payload of its answer."""


class Version(Protocol):
    """What the dispatch needs of the station's OCPP version (its adapter)."""

    def is_known_action(self, action: str) -> bool: ...

    def handler(self, action: str) -> Answer | None: ...

    def refusal(self, action: str) -> OcppError | None:
        """What the version refuses now, by the registration's state (1.6 with
        ocppStrictCompliance: remote start and stop while Pending; 2.0.1: every CALL while
        Rejected); None: the station answers."""


class DispatchHost(Protocol):
    @property
    def template(self) -> StationTemplate: ...


def incoming_supported(template: StationTemplate, action: str) -> bool:
    """commandsSupport.incomingCommands: none listed means all supported."""
    support = template.commands_support
    incoming = support.incoming_commands if support is not None else None
    return not incoming or bool(incoming.get(action, False))


def outgoing_supported(template: StationTemplate, action: str) -> bool:
    """commandsSupport.outgoingCommands: none listed means all sent."""
    support = template.commands_support
    outgoing = support.outgoing_commands if support is not None else None
    return not outgoing or bool(outgoing.get(action, False))


def disabled(action: str) -> CallFailed:
    """What a call the template disables raises instead of being sent: what a CSMS refusing
    it would cause, which every path of the station already handles."""
    return CallFailed(action, CallError("", ErrorCode.NOT_SUPPORTED, "disabled by commandsSupport"))


class Dispatcher:
    __slots__ = ("_host", "_version")

    def __init__(self, version: Version, host: DispatchHost) -> None:
        self._version = version
        self._host = host

    def unhandled(self, action: str) -> OcppError:
        """The refusal of an action the version has no handler for."""
        if self._version.is_known_action(action):
            return OcppError(ErrorCode.NOT_SUPPORTED, f"{action} is not supported")
        return OcppError(ErrorCode.NOT_IMPLEMENTED, f"unknown action {action}")

    def refusal(self, action: str) -> OcppError | None:
        """Why the station refuses a CALL of an action it handles, or None: it answers."""
        if not incoming_supported(self._host.template, action):
            return OcppError(ErrorCode.NOT_SUPPORTED, f"{action} is disabled by commandsSupport")
        return self._version.refusal(action)

    async def handle(self, action: str, payload: Payload) -> Payload:
        """The answer to a CALL; OcppError (a CALLERROR) when refused."""
        handler = self._version.handler(action)
        if handler is None:
            raise self.unhandled(action)
        refusal = self.refusal(action)
        if refusal is not None:
            raise refusal
        return await handler(payload)


__all__ = [
    "Answer",
    "DispatchHost",
    "Dispatcher",
    "Version",
    "disabled",
    "incoming_supported",
    "outgoing_supported",
]
