"""Opening a station's WebSocket to the CSMS (OCPP-J section 3): URL, subprotocol, auth, TLS."""

from __future__ import annotations

import base64
import ssl
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

OCPP16 = Subprotocol("ocpp1.6")
USER_AGENT = "evsim"
DEFAULT_OPEN_TIMEOUT = 30.0


class FatalConnectError(Exception):
    """A connection that will never succeed as configured (bad URL): do not retry."""


def basic_auth_header(user: str, password: str | None) -> str:
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    return f"Basic {token}"


def connect_options(
    *,
    user: str | None,
    password: str | None,
    ws_options: dict[str, Any],
    ping_interval: int,
) -> dict[str, Any]:
    """websockets client options from the station's template and OCPP keys."""
    headers: dict[str, str] = {}
    if user:
        headers["Authorization"] = basic_auth_header(user, password)
    extra = ws_options.get("headers")
    if isinstance(extra, dict):
        headers.update({str(k): str(v) for k, v in extra.items()})
    handshake_ms = ws_options.get("handshakeTimeout")
    options: dict[str, Any] = {
        "subprotocols": [OCPP16],
        "additional_headers": headers,
        # permessage-deflate costs ~100 KiB per connection and OCPP-J 5.1 advises against it.
        "compression": "deflate" if ws_options.get("perMessageDeflate") else None,
        "open_timeout": handshake_ms / 1000 if handshake_ms else DEFAULT_OPEN_TIMEOUT,
        "ping_interval": ping_interval or None,
        "ping_timeout": ping_interval or None,
        "user_agent_header": USER_AGENT,
        # A station talks to its CSMS directly; proxy variables of the host must not divert it.
        "proxy": None,
    }
    if isinstance(ws_options.get("maxPayload"), int):
        options["max_size"] = ws_options["maxPayload"]
    return options


async def open_connection(url: str, options: dict[str, Any]) -> ClientConnection:
    """Open the connection; raise FatalConnectError for mistakes that retrying cannot fix."""
    if url.startswith("wss://"):
        options = {**options, "ssl": ssl.create_default_context()}
    try:
        websocket = await connect(url, **options)
    except InvalidURI as exc:
        raise FatalConnectError(str(exc)) from None
    if websocket.subprotocol != OCPP16:
        await websocket.close(1002, "ocpp1.6 subprotocol not accepted")
        raise InvalidHandshake("the CSMS did not accept subprotocol ocpp1.6")
    return websocket
