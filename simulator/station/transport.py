"""The WebSocket client library a station's connection runs on.

`websockets` is the reference: a core dependency, always there. `picows` (the `fast` extra)
ships a client with the same interface (`picows.websockets`: the same connect options, the
same connection methods, exceptions of the same names), its frame handling compiled; on the
mv-1000 profile it takes about a fifth off the simulator's CPU per message (README, Performance).
`auto`, the default, takes picows where it is installed and websockets otherwise (config.json
wsTransport; one choice per process, made by the worker when it starts).

Each library raises its own exception classes; the station catches the union (`CONNECTION_CLOSED`,
`HANDSHAKE_REFUSED`), so nothing outside this module and connection.py names a library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import websockets.asyncio.client as websockets_client
import websockets.exceptions as websockets_errors

from simulator.station.transport_choice import TransportName, picows_installed


class StationSocket(Protocol):
    """What the station uses of an open connection, whichever library opened it."""

    @property
    def subprotocol(self) -> str | None: ...

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True, slots=True)
class Library:
    """One client library: its connect function and the exception classes it raises."""

    name: TransportName
    connect: Callable[..., Any]
    invalid_uri: type[Exception]
    invalid_message: type[Exception]
    invalid_handshake: type[Exception]
    closed: type[Exception]

    @classmethod
    def of(cls, name: TransportName, connect: Callable[..., Any], errors: Any) -> Library:
        """A library whose exceptions module (`errors`) names them as websockets does."""
        return cls(
            name=name,
            connect=connect,
            invalid_uri=errors.InvalidURI,
            invalid_message=errors.InvalidMessage,
            invalid_handshake=errors.InvalidHandshake,
            closed=errors.ConnectionClosed,
        )


WEBSOCKETS = Library.of("websockets", websockets_client.connect, websockets_errors)


def _picows() -> Library | None:
    if not picows_installed():
        return None
    from picows import websockets as picows_websockets  # noqa: PLC0415 (an optional extra)

    return Library.of("picows", picows_websockets.connect, picows_websockets.exceptions)


PICOWS = _picows()
LIBRARIES = (WEBSOCKETS,) if PICOWS is None else (WEBSOCKETS, PICOWS)
# What a station catches: a connection closed, an upgrade refused, by either library.
Errors = tuple[type[Exception], ...]
CONNECTION_CLOSED: Errors = tuple(library.closed for library in LIBRARIES)
HANDSHAKE_REFUSED: Errors = tuple(library.invalid_handshake for library in LIBRARIES)
# A connection attempt that failed and may succeed later.
CONNECT_FAILED: Errors = (OSError, TimeoutError, *HANDSHAKE_REFUSED)


class TransportUnavailable(ValueError):
    """`picows` asked for where it is not installed."""


def library(name: TransportName) -> Library:
    """The library a name stands for in this process. Raises TransportUnavailable for picows
    without the `fast` extra."""
    if name == "websockets":
        return WEBSOCKETS
    if PICOWS is not None:
        return PICOWS
    if name == "picows":
        raise TransportUnavailable(
            "wsTransport picows: picows is not installed (pip install 'evsim[fast]')"
        )
    return WEBSOCKETS


__all__ = [
    "CONNECTION_CLOSED",
    "CONNECT_FAILED",
    "HANDSHAKE_REFUSED",
    "LIBRARIES",
    "PICOWS",
    "WEBSOCKETS",
    "Library",
    "StationSocket",
    "TransportUnavailable",
    "library",
]
