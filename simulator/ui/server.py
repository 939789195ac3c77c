"""The UI server: WebSocket subprotocol ui0.0.1 ([uuid, procedure, payload] -> [uuid, pdu]) and,
on the same port, plain HTTP: `POST /ui/0.0.1/<procedure>`, the web page at `/`, `/metrics`.

One port for both because the web page and its WebSocket then share an origin (and the browser's
cached basic-auth credentials), and a user opens one port in a firewall. websockets' server
parses GET requests only, so each connection first reads the request head itself: a WebSocket
upgrade is handed to websockets unchanged, anything else is answered here and closed
(`UiConnection`, through websockets' `create_connection` hook).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
from collections.abc import Coroutine
from http import HTTPStatus
from importlib.resources import files
from typing import Any, ClassVar

import orjson
from loguru import logger
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from simulator.config import UIServerSettings
from simulator.supervisor import Supervisor
from simulator.ui.http import HttpError, HttpHead, parse_head, response_bytes
from simulator.ui.metrics import FleetCollector, exposition
from simulator.ui.procedures import FAILURE, PROCEDURES, SUCCESS, InvalidPayload, failure

UI_PROTOCOL = Subprotocol("ui0.0.1")
PROTOCOL_AUTH_PREFIX = "authorization.basic."
HTTP_PREFIXES = ("/ui/0.0.1/", "/ui/")
OPEN_TIMEOUT = 10.0
# At most one ["refresh"] (and one batch of deltas) per client per interval: a fleet that changes
# all the time must not flood the browsers.
PUSH_INTERVAL = 0.5
SUBSCRIBE = "subscribeStationDeltas"
UNSUBSCRIBE = "unsubscribeStationDeltas"
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
JSON = "application/json"


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


def header_credentials(authorization: str) -> tuple[str, str] | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    return _decode_pair(token.strip(), urlsafe=False)


def request_credentials(request: Request, protocol_auth: bool) -> tuple[str, str] | None:
    """basic-auth: the Authorization header. protocol-basic-auth: a second subprotocol
    `authorization.basic.<base64url(user:password)>`, since browsers cannot set headers."""
    if protocol_auth:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        for item in (p.strip() for p in offered.split(",")):
            if item.startswith(PROTOCOL_AUTH_PREFIX):
                return _decode_pair(item[len(PROTOCOL_AUTH_PREFIX) :], urlsafe=True)
        return None
    return header_credentials(request.headers.get("Authorization", ""))


class UiConnection(ServerConnection):
    """A connection of the UI port: a WebSocket, or one plain HTTP request answered by
    `ui_server.answer_http` and then closed."""

    ui_server: ClassVar[UiServer]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mode: str | None = None  # "ws" or "http" once the request head is read
        self._head_read: asyncio.Future[None] = self.loop.create_future()
        self._buffer = b""
        self._http_head: HttpHead | None = None
        self._http_body_start = 0
        self._http_task: asyncio.Task[None] | None = None

    def data_received(self, data: bytes) -> None:
        if self._mode == "ws":
            super().data_received(data)
            return
        self._buffer += data
        if self._mode is None:
            try:
                parsed = parse_head(self._buffer)
            except HttpError as exc:
                self._mode = "http"
                self._decided()
                self._finish_http(response_bytes(exc.status, f"{exc}\n".encode()))
                return
            if parsed is None:
                return
            head, self._http_body_start = parsed
            if head.is_websocket_upgrade:
                self._mode = "ws"
                self._decided()
                buffered, self._buffer = self._buffer, b""
                super().data_received(buffered)
                return
            self._mode, self._http_head = "http", head
            self._decided()
        http_head = self._http_head
        if http_head is None or self._http_task is not None:
            return  # an answer is already on its way; what follows is ignored
        body = self._buffer[self._http_body_start :]
        if len(body) >= http_head.length:
            self._http_task = self.ui_server.spawn(
                self._answer(http_head, body[: http_head.length])
            )

    def connection_lost(self, exc: Exception | None) -> None:
        # A running procedure is not cancelled: a client that gave up waiting must not leave
        # the fleet half added or half stopped.
        super().connection_lost(exc)
        self._decided()

    def _decided(self) -> None:
        if not self._head_read.done():
            self._head_read.set_result(None)

    async def _answer(self, head: HttpHead, body: bytes) -> None:
        # Cancelled only when the server stops: the client still gets an answer, and the
        # connection closes, which ends websockets' wait for it.
        answer = response_bytes(HTTPStatus.SERVICE_UNAVAILABLE, b"UI server stopping\n")
        try:
            answer = await self.ui_server.answer_http(head, body)
        except Exception:  # an internal bug: the client gets a 500, the log the traceback
            logger.exception("UI HTTP request {} {} failed", head.method, head.path)
            answer = response_bytes(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error\n")
        finally:
            self._finish_http(answer)

    def _finish_http(self, answer: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()  # flushes the answer, then connection_lost

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        # serve() gets open_timeout=None so that a slow HTTP procedure (stopping a big fleet)
        # is not cut; the WebSocket handshake keeps its own bound here.
        async with asyncio.timeout(OPEN_TIMEOUT):
            await asyncio.wait(
                [self._head_read, self.connection_lost_waiter],
                return_when=asyncio.FIRST_COMPLETED,
            )
        if self._mode == "http":
            await asyncio.shield(self.connection_lost_waiter)
            return
        async with asyncio.timeout(OPEN_TIMEOUT):
            await super().handshake(*args, **kwargs)


class UiServer:
    def __init__(self, supervisor: Supervisor, settings: UIServerSettings) -> None:
        self._supervisor = supervisor
        self._settings = settings
        self._server: Server | None = None
        self._clients: set[ServerConnection] = set()
        self._subscribers: set[ServerConnection] = set()
        self._pending_deltas: dict[str, dict[str, Any]] = {}
        self._pending_removed: set[str] = set()
        self._push_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()  # procedures being answered
        self._collector = FleetCollector(supervisor)

    @property
    def supervisor(self) -> Supervisor:
        return self._supervisor

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("UI server not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def websocket_enabled(self) -> bool:
        return self._settings.type == "ws"

    async def start(self) -> None:
        options = self._settings.options
        connection_class = type("BoundUiConnection", (UiConnection,), {"ui_server": self})
        self._server = await serve(
            self._serve,
            options.host,
            options.port,
            subprotocols=[UI_PROTOCOL],
            select_subprotocol=self._select_subprotocol,
            process_request=self._authorize,
            compression=None,
            open_timeout=None,
            create_connection=connection_class,
        )
        self._supervisor.delta_listeners.append(self._collect_delta)
        self._push_task = asyncio.create_task(self._push())
        address = f"{options.host}:{self.port}"
        logger.info(
            "UI server: web page and HTTP on http://{}/{}",
            address,
            f", WebSocket on ws://{address}" if self.websocket_enabled else "",
        )

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a request's answer, held here so it lives until it is done."""
        task = asyncio.create_task(coroutine)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        if self._push_task is not None:
            self._push_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._push_task
            self._push_task = None
        with contextlib.suppress(ValueError):
            self._supervisor.delta_listeners.remove(self._collect_delta)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # -- authentication ---------------------------------------------------------------------

    def _expected(self) -> tuple[str, str]:
        auth = self._settings.authentication
        return auth.username or "", auth.password or ""

    def _select_subprotocol(self, connection: ServerConnection, offered: Any) -> Subprotocol | None:
        # Only ui0.0.1 is ever selected: the credentials subprotocol is not echoed back.
        return UI_PROTOCOL if UI_PROTOCOL in offered else None

    def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        if not self.websocket_enabled:
            return connection.respond(
                HTTPStatus.NOT_FOUND, "WebSocket is off (uiServer.type is http)\n"
            )
        auth = self._settings.authentication
        if not auth.enabled:
            return None
        given = request_credentials(request, auth.type == "protocol-basic-auth")
        if given is None or not credentials_match(self._expected(), *given):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None

    def _http_authorized(self, head: HttpHead) -> bool:
        if not self._settings.authentication.enabled:
            return True
        given = header_credentials(head.headers.get("authorization", ""))
        return given is not None and credentials_match(self._expected(), *given)

    # -- HTTP -------------------------------------------------------------------------------

    async def answer_http(self, head: HttpHead, body: bytes) -> bytes:
        path = head.path
        static = STATIC_FILES.get(path)
        page_asks = self._settings.authentication.type == "protocol-basic-auth"
        if not (static is not None and page_asks) and not self._http_authorized(head):
            # basic-auth: the browser asks its user once (WWW-Authenticate) and then sends the
            # credentials with every request of the page, its WebSocket included.
            # protocol-basic-auth: the page asks itself, so no browser dialog.
            challenge = {} if page_asks else {"WWW-Authenticate": 'Basic realm="evsim"'}
            return response_bytes(HTTPStatus.UNAUTHORIZED, b"Unauthorized\n", headers=challenge)
        if static is not None and head.method in ("GET", "HEAD"):
            name, content_type = static
            content = files("simulator.ui").joinpath("static", name).read_bytes()
            return response_bytes(HTTPStatus.OK, content, content_type)
        if path == "/metrics" and head.method == "GET":
            text, content_type = exposition(self._collector)
            return response_bytes(HTTPStatus.OK, text, content_type)
        prefix = next((p for p in HTTP_PREFIXES if path.startswith(p)), None)
        if prefix is None:
            return response_bytes(HTTPStatus.NOT_FOUND, b"Not found\n")
        if head.method != "POST":
            return response_bytes(
                HTTPStatus.METHOD_NOT_ALLOWED, b"POST a JSON object\n", headers={"Allow": "POST"}
            )
        procedure = path[len(prefix) :]
        try:
            payload = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            payload = None
        pdu = await self.run(procedure, payload)
        status = HTTPStatus.OK if pdu.get("status") == SUCCESS else HTTPStatus.BAD_REQUEST
        return response_bytes(status, orjson.dumps(pdu), JSON)

    # -- procedures -------------------------------------------------------------------------

    async def run(self, name: Any, payload: Any) -> dict[str, Any]:
        """The PDU answering one request; a failure PDU for anything wrong, never a raise."""
        procedure = PROCEDURES.get(name) if isinstance(name, str) else None
        if procedure is None:
            return failure(f"unknown procedure {name!r}")
        if not isinstance(payload, dict):
            return failure("payload must be a JSON object")
        try:
            return await procedure(self._supervisor, payload)
        except InvalidPayload as exc:
            return failure(str(exc))
        except Exception as exc:  # a failed procedure is an answer, never a dropped connection
            logger.exception("UI procedure {} failed", name)
            return failure(str(exc) or type(exc).__name__)

    # -- WebSocket --------------------------------------------------------------------------

    async def _serve(self, connection: ServerConnection) -> None:
        in_flight: set[str] = set()
        self._clients.add(connection)
        try:
            async for message in connection:
                frame = self._frame(message)
                if isinstance(frame, dict):
                    await connection.send(orjson.dumps([None, frame]).decode())
                    continue
                uuid, name, payload = frame
                if uuid in in_flight:
                    pdu = failure(f"request {uuid} is already in flight")
                    await connection.send(orjson.dumps([uuid, pdu]).decode())
                    continue
                if name in (SUBSCRIBE, UNSUBSCRIBE):
                    if name == SUBSCRIBE:
                        self._subscribers.add(connection)
                    else:
                        self._subscribers.discard(connection)
                    await connection.send(orjson.dumps([uuid, {"status": SUCCESS}]).decode())
                    continue
                # Concurrently: a long stopSimulator does not hold up a listChargingStations.
                # Not cancelled when the client goes away (see UiConnection.connection_lost).
                in_flight.add(uuid)
                self.spawn(self._reply(connection, uuid, name, payload, in_flight))
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(connection)
            self._subscribers.discard(connection)

    @staticmethod
    def _frame(message: str | bytes) -> tuple[str, Any, Any] | dict[str, Any]:
        """[uuid, procedure, payload], or the failure PDU that answers a malformed frame."""
        try:
            frame = orjson.loads(message)
        except orjson.JSONDecodeError:
            return failure("frame is not JSON")
        if not (isinstance(frame, list) and len(frame) == 3 and isinstance(frame[0], str)):
            return failure("frame is [uuid, procedure, payload]")
        return frame[0], frame[1], frame[2]

    async def _reply(
        self,
        connection: ServerConnection,
        uuid: str,
        name: Any,
        payload: Any,
        in_flight: set[str],
    ) -> None:
        try:
            pdu = await self.run(name, payload)
        finally:
            in_flight.discard(uuid)
        with contextlib.suppress(ConnectionClosed):
            await connection.send(orjson.dumps([uuid, pdu]).decode())

    # -- push -------------------------------------------------------------------------------

    def _collect_delta(self, event: dict[str, Any]) -> None:
        if not self._subscribers:
            return
        if event.get("kind") == "stations":
            for hash_id, delta in event["data"].items():
                self._pending_removed.discard(hash_id)
                pending = self._pending_deltas.get(hash_id)
                if pending is None:
                    self._pending_deltas[hash_id] = dict(delta)
                else:
                    pending.update(delta)
        else:
            for hash_id in event["hashIds"]:
                self._pending_deltas.pop(hash_id, None)
                self._pending_removed.add(hash_id)

    async def _push(self) -> None:
        """["refresh"] to every WebSocket client after station data changed, at most every
        PUSH_INTERVAL; the coalesced deltas to the clients that subscribed."""
        changed = self._supervisor.changed
        while True:
            await changed.wait()
            # The supervisor re-arms a new event on each change: take it now, so a change
            # during the sleep below is pushed right after it, not at the change after that.
            changed = self._supervisor.changed
            if self._clients:
                broadcast(self._clients, '["refresh"]')
            if self._subscribers and (self._pending_deltas or self._pending_removed):
                deltas = {
                    "stations": self._pending_deltas,
                    "removed": sorted(self._pending_removed),
                }
                broadcast(self._subscribers, orjson.dumps(["stationDeltas", deltas]).decode())
            self._pending_deltas, self._pending_removed = {}, set()
            await asyncio.sleep(PUSH_INTERVAL)


__all__ = ["FAILURE", "UI_PROTOCOL", "UiServer", "credentials_match", "request_credentials"]
