"""The UI server: WebSocket subprotocol ui0.0.1, [uuid, procedure, payload] -> [uuid, pdu]."""

from __future__ import annotations

import base64
import binascii
import hmac
from http import HTTPStatus
from typing import Any

import orjson
from loguru import logger
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from simulator.config import UIServerSettings
from simulator.supervisor import Supervisor
from simulator.ui.procedures import FAILURE, PROCEDURES

UI_PROTOCOL = Subprotocol("ui0.0.1")
PROTOCOL_AUTH_PREFIX = "authorization.basic."


def credentials_match(expected: tuple[str, str], user: str, password: str) -> bool:
    # Constant time, so the answer's timing does not leak how much of a guess was right.
    return hmac.compare_digest(user.encode(), expected[0].encode()) & hmac.compare_digest(
        password.encode(), expected[1].encode()
    )


def _decode_pair(token: str, urlsafe: bool) -> tuple[str, str] | None:
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded)
        user, _, password = raw.decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return user, password


def request_credentials(request: Request, protocol_auth: bool) -> tuple[str, str] | None:
    """basic-auth: the Authorization header. protocol-basic-auth: a second subprotocol
    `authorization.basic.<base64url(user:password)>`, since browsers cannot set headers."""
    if protocol_auth:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        for item in (p.strip() for p in offered.split(",")):
            if item.startswith(PROTOCOL_AUTH_PREFIX):
                return _decode_pair(item[len(PROTOCOL_AUTH_PREFIX) :], urlsafe=True)
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    return _decode_pair(token.strip(), urlsafe=False)


class UiServer:
    def __init__(self, supervisor: Supervisor, settings: UIServerSettings) -> None:
        self._supervisor = supervisor
        self._settings = settings
        self._server: Server | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("UI server not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        options = self._settings.options
        self._server = await serve(
            self._serve,
            options.host,
            options.port,
            subprotocols=[UI_PROTOCOL],
            process_request=self._authorize,
            compression=None,
        )
        logger.info("UI server listening on ws://{}:{}", options.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        auth = self._settings.authentication
        if not auth.enabled:
            return None
        given = request_credentials(request, auth.type == "protocol-basic-auth")
        expected = (auth.username or "", auth.password or "")
        if given is None or not credentials_match(expected, *given):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        try:
            async for message in connection:
                reply = await self._handle(message)
                await connection.send(orjson.dumps(reply).decode())
        except ConnectionClosed:
            pass

    async def _handle(self, message: str | bytes) -> list[Any]:
        try:
            frame = orjson.loads(message)
        except orjson.JSONDecodeError:
            return [None, {"status": FAILURE, "errorMessage": "frame is not JSON"}]
        if not (isinstance(frame, list) and len(frame) == 3 and isinstance(frame[0], str)):
            return [
                None,
                {"status": FAILURE, "errorMessage": "frame is [uuid, procedure, payload]"},
            ]
        uuid, name, payload = frame
        procedure = PROCEDURES.get(name) if isinstance(name, str) else None
        if procedure is None:
            return [uuid, {"status": FAILURE, "errorMessage": f"unknown procedure {name!r}"}]
        if not isinstance(payload, dict):
            return [uuid, {"status": FAILURE, "errorMessage": "payload must be a JSON object"}]
        try:
            return [uuid, await procedure(self._supervisor, payload)]
        except Exception as exc:  # a failed procedure is an answer, never a dropped connection
            logger.exception("UI procedure {} failed", name)
            return [uuid, {"status": FAILURE, "errorMessage": str(exc)}]
