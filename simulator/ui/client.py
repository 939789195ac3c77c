"""A client of the UI protocol: one procedure call over WebSocket (ws://, wss://) or HTTP
(http://, https://), with basic credentials sent the way either authentication type reads them."""

from __future__ import annotations

import asyncio
import base64
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlsplit

import orjson
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

UI_PROTOCOL = Subprotocol("ui0.0.1")
PROTOCOL_AUTH_PREFIX = "authorization.basic."
TIMEOUT = 120.0


class UiUnreachable(OSError):
    """Nothing answers at the URL, or it does not speak the UI protocol."""


def _basic(user: str, password: str, urlsafe: bool) -> str:
    raw = f"{user}:{password}".encode()
    if urlsafe:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return base64.b64encode(raw).decode()


async def call_procedure(
    url: str,
    procedure: str,
    payload: dict[str, Any],
    user: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """The response PDU of `procedure`. Raises UiUnreachable when no UI server answers."""
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https"):
        return await asyncio.to_thread(_http_call, url, procedure, payload, user, password)
    if scheme not in ("ws", "wss"):
        raise UiUnreachable(f"{url}: the URL must start with ws://, wss://, http:// or https://")
    return await _websocket_call(url, procedure, payload, user, password)


async def _websocket_call(
    url: str, procedure: str, payload: dict[str, Any], user: str | None, password: str | None
) -> dict[str, Any]:
    subprotocols = [UI_PROTOCOL]
    headers: dict[str, str] = {}
    if user is not None:
        # Both ways: a basic-auth server reads the header, a protocol-basic-auth one the
        # second subprotocol (which it never selects, so it costs nothing elsewhere).
        headers["Authorization"] = "Basic " + _basic(user, password or "", urlsafe=False)
        subprotocols.append(
            Subprotocol(PROTOCOL_AUTH_PREFIX + _basic(user, password or "", urlsafe=True))
        )
    try:
        async with (
            asyncio.timeout(TIMEOUT),
            connect(
                url, subprotocols=subprotocols, additional_headers=headers, proxy=None
            ) as websocket,
        ):
            request_id = str(uuid.uuid4())
            await websocket.send(orjson.dumps([request_id, procedure, payload]).decode())
            while True:  # pushes (["refresh"]) may come first
                reply = orjson.loads(await websocket.recv())
                if isinstance(reply, list) and len(reply) == 2 and reply[0] == request_id:
                    result: dict[str, Any] = reply[1]
                    return result
    except TimeoutError:
        raise UiUnreachable(f"{url}: no answer within {TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise UiUnreachable(f"{url}: {exc}") from exc
    except Exception as exc:  # websockets' handshake errors: a 401, not a UI server
        raise UiUnreachable(f"{url}: {exc}") from exc


def _http_call(
    url: str, procedure: str, payload: dict[str, Any], user: str | None, password: str | None
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if user is not None:
        headers["Authorization"] = "Basic " + _basic(user, password or "", urlsafe=False)
    request = urllib.request.Request(
        f"{url.rstrip('/')}/ui/0.0.1/{procedure}",
        data=orjson.dumps(payload),
        method="POST",
        headers=headers,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
        if error.code != 400:  # 400 carries a failure PDU; anything else is not the protocol
            raise UiUnreachable(f"{url}: HTTP {error.code} {error.reason}") from None
    except OSError as exc:
        raise UiUnreachable(f"{url}: {exc}") from exc
    try:
        result: dict[str, Any] = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UiUnreachable(f"{url}: the answer is not JSON") from None
    return result
