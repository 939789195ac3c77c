"""The UI server: WebSocket subprotocol ui0.0.1 ([uuid, procedure, payload] -> [uuid, pdu]) and,
on the same port, plain HTTP: `POST /ui/0.0.1/<procedure>`, the web page at `/`, `/metrics`.

One port for both because the web page and its WebSocket then share an origin (and the browser's
cached basic-auth credentials), and a user opens one port in a firewall. aiohttp serves both:
every request passes the access policy (simulator.ui.access), then the credentials, in one
middleware; an Upgrade: websocket request becomes a ui0.0.1 session, any other is routed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from http import HTTPStatus
from importlib.resources import files
from typing import Any, TypeVar

import orjson
from aiohttp import WSMsgType, web
from loguru import logger

from simulator.config_error import ConfigError
from simulator.supervisor import Supervisor
from simulator.ui.access import FORWARDED_HEADERS, AccessRequest, exposure_warnings, refusal
from simulator.ui.credentials import credentials_match, header_credentials, request_credentials
from simulator.ui.metrics import FleetCollector, exposition
from simulator.ui.procedures import FAILURE, PROCEDURES, SUCCESS, InvalidPayload, failure
from simulator.ui.settings import UIServerSettings

UI_PROTOCOL = "ui0.0.1"
HTTP_PREFIXES = ("/ui/0.0.1/", "/ui/")
MAX_BODY_BYTES = 4 * 1024 * 1024
# At most one ["refresh"] (and one batch of deltas) per client per interval: a fleet that changes
# all the time must not flood the browsers.
PUSH_INTERVAL = 0.5
# A client that has not taken this much of what was pushed to it gets no more pushes until it
# has: a stalled browser tab must not make the server hold an ever-growing buffer.
PUSH_BACKLOG_BYTES = 1024 * 1024
# How long a stop waits for the requests being answered (they are answered 503 at once).
SHUTDOWN_TIMEOUT = 5.0
SUBSCRIBE = "subscribeStationDeltas"
UNSUBSCRIBE = "unsubscribeStationDeltas"
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
JSON = "application/json"
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def answer(
    status: HTTPStatus,
    body: bytes,
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.Response(
        status=status.value,
        body=body,
        headers={"Content-Type": content_type, "Cache-Control": "no-store", **(headers or {})},
    )


def access_request(request: web.Request) -> AccessRequest:
    names = ("host", "origin", *FORWARDED_HEADERS)
    headers = {name: request.headers.getall(name, []) for name in names}
    peer = request.transport.get_extra_info("peername") if request.transport else None
    tls = request.transport is not None and request.transport.get_extra_info("sslcontext")
    return AccessRequest(headers, str(peer[0]) if peer else "", tls is not None and bool(tls))


def is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


class UiServer:
    def __init__(self, supervisor: Supervisor, settings: UIServerSettings) -> None:
        self._supervisor = supervisor
        self._settings = settings
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None  # the listening sockets
        # Each WebSocket client with its transport, whose write buffer tells a stalled one.
        self._clients: dict[web.WebSocketResponse, asyncio.BaseTransport | None] = {}
        self._subscribers: set[web.WebSocketResponse] = set()
        self._pending_deltas: dict[str, dict[str, Any]] = {}
        self._pending_removed: set[str] = set()
        self._push_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[Any]] = set()  # procedures being answered, pushes
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
        tls = self._ssl_context()
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{path:.*}", self._dispatch)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        await runner.setup()
        protocol = runner.server
        if protocol is None:
            raise RuntimeError("aiohttp runner set up without a server")
        try:
            # The listening server held here, not in an aiohttp site: its sockets are ours.
            self._server = await asyncio.get_running_loop().create_server(
                protocol, options.host, options.port, ssl=tls
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._supervisor.delta_listeners.append(self._collect_delta)
        self._push_task = asyncio.create_task(self._push())
        address = f"{options.host}:{self.port}"
        http, ws = ("https", "wss") if tls else ("http", "ws")
        logger.info(
            "UI server: web page and HTTP on {}://{}/{}",
            http,
            address,
            f", WebSocket on {ws}://{address}" if self.websocket_enabled else "",
        )
        for warning in exposure_warnings(self._settings):
            logger.warning(warning)

    def _ssl_context(self) -> ssl.SSLContext | None:
        options = self._settings.options
        if options.cert is None or options.key is None:
            return None
        settings = self._supervisor.settings
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(settings.resolve(options.cert), settings.resolve(options.key))
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise ConfigError(
                settings.config_path, "uiServer.options.cert", f"cannot load cert and key: {exc}"
            ) from None
        return context

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run a request's answer (or a push), held here so it lives until it is done."""
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
            self._server = None
        for client in list(self._clients):
            await client.close(code=1001, message=b"UI server stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- access and authentication ----------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        denied = refusal(
            self._settings.access_policy, self._settings.options.host, access_request(request)
        )
        if denied is not None:
            logger.warning(
                "UI server refused {} {} from {}: {}",
                request.method,
                request.path,
                denied.client,
                denied.reason,
            )
            return answer(HTTPStatus.FORBIDDEN, b"Forbidden\n")
        if is_websocket(request):
            return await self._websocket_guard(request)
        static = STATIC_FILES.get(request.path)
        page_asks = self._settings.authentication.type == "protocol-basic-auth"
        if not (static is not None and page_asks) and not self._http_authorized(request):
            # basic-auth: the browser asks its user once (WWW-Authenticate) and then sends the
            # credentials with every request of the page, its WebSocket included.
            # protocol-basic-auth: the page asks itself, so no browser dialog.
            challenge = {} if page_asks else {"WWW-Authenticate": 'Basic realm="evsim"'}
            return answer(HTTPStatus.UNAUTHORIZED, b"Unauthorized\n", headers=challenge)
        return await handler(request)

    async def _websocket_guard(self, request: web.Request) -> web.StreamResponse:
        if not self.websocket_enabled:
            return answer(HTTPStatus.NOT_FOUND, b"WebSocket is off (uiServer.type is http)\n")
        auth = self._settings.authentication
        if auth.enabled:
            given = request_credentials(request.headers, auth.type == "protocol-basic-auth")
            if given is None or not credentials_match(self._expected(), *given):
                return answer(HTTPStatus.UNAUTHORIZED, b"Unauthorized\n")
        return await self._serve_websocket(request)

    def _expected(self) -> tuple[str, str]:
        auth = self._settings.authentication
        return auth.username or "", auth.password or ""

    def _http_authorized(self, request: web.Request) -> bool:
        if not self._settings.authentication.enabled:
            return True
        given = header_credentials(request.headers.get("Authorization", ""))
        return given is not None and credentials_match(self._expected(), *given)

    # -- HTTP -------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        static = STATIC_FILES.get(path)
        if static is not None and request.method in ("GET", "HEAD"):
            name, content_type = static
            content = files("simulator.ui").joinpath("static", name).read_bytes()
            return answer(HTTPStatus.OK, content, content_type)
        if path == "/metrics" and request.method == "GET":
            text, content_type = exposition(self._collector)
            return answer(HTTPStatus.OK, text, content_type)
        prefix = next((p for p in HTTP_PREFIXES if path.startswith(p)), None)
        if prefix is None:
            return answer(HTTPStatus.NOT_FOUND, b"Not found\n")
        if request.method != "POST":
            return answer(
                HTTPStatus.METHOD_NOT_ALLOWED, b"POST a JSON object\n", headers={"Allow": "POST"}
            )
        if request.content_type != JSON:
            # text/plain and form posts are what a foreign page may send without asking (no
            # CORS preflight): a procedure is only ever run for a declared JSON body.
            return answer(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, b"Content-Type: application/json\n")
        body = await request.read()
        try:
            payload = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            payload = None
        # Shielded: a client that gave up waiting must not leave the fleet half added or half
        # stopped. Cancelled only by stop(): the client is then told so.
        running = self.spawn(self.run(path[len(prefix) :], payload))
        try:
            pdu = await asyncio.shield(running)
        except asyncio.CancelledError:
            if not running.cancelled():
                raise
            return answer(HTTPStatus.SERVICE_UNAVAILABLE, b"UI server stopping\n")
        status = HTTPStatus.OK if pdu.get("status") == SUCCESS else HTTPStatus.BAD_REQUEST
        return answer(status, orjson.dumps(pdu), JSON)

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

    async def _serve_websocket(self, request: web.Request) -> web.WebSocketResponse:
        # Only ui0.0.1 is ever selected: the credentials subprotocol is not echoed back.
        connection = web.WebSocketResponse(
            protocols=(UI_PROTOCOL,), compress=False, max_msg_size=MAX_BODY_BYTES
        )
        await connection.prepare(request)
        in_flight: set[str] = set()
        self._clients[connection] = request.transport
        try:
            async for message in connection:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                frame = self._frame(message.data)
                if isinstance(frame, dict):
                    await self._send(connection, [None, frame])
                    continue
                uuid, name, payload = frame
                if uuid in in_flight:
                    pdu = failure(f"request {uuid} is already in flight")
                    await self._send(connection, [uuid, pdu])
                    continue
                if name in (SUBSCRIBE, UNSUBSCRIBE):
                    if name == SUBSCRIBE:
                        self._subscribers.add(connection)
                    else:
                        self._subscribers.discard(connection)
                    await self._send(connection, [uuid, {"status": SUCCESS}])
                    continue
                # Concurrently: a long stopSimulator does not hold up a listChargingStations.
                # Not cancelled when the client goes away (see _dispatch).
                in_flight.add(uuid)
                self.spawn(self._reply(connection, uuid, name, payload, in_flight))
        finally:
            self._clients.pop(connection, None)
            self._subscribers.discard(connection)
        return connection

    @staticmethod
    async def _send(connection: web.WebSocketResponse, frame: Any) -> None:
        with contextlib.suppress(ConnectionError):  # the client went away meanwhile
            await connection.send_str(orjson.dumps(frame).decode())

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
        connection: web.WebSocketResponse,
        uuid: str,
        name: Any,
        payload: Any,
        in_flight: set[str],
    ) -> None:
        try:
            pdu = await self.run(name, payload)
        finally:
            in_flight.discard(uuid)
        await self._send(connection, [uuid, pdu])

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

    def _broadcast(self, clients: Iterable[web.WebSocketResponse], frame: Any) -> None:
        for client in list(clients):
            transport = self._clients.get(client)
            behind = (
                transport.get_write_buffer_size()
                if isinstance(transport, asyncio.WriteTransport)
                else 0
            )
            if not client.closed and behind <= PUSH_BACKLOG_BYTES:
                self.spawn(self._send(client, frame))

    async def _push(self) -> None:
        """["refresh"] to every WebSocket client after station data changed, at most every
        PUSH_INTERVAL; the coalesced deltas to the clients that subscribed."""
        changed = self._supervisor.changed
        while True:
            await changed.wait()
            # The supervisor re-arms a new event on each change: take it now, so a change
            # during the sleep below is pushed right after it, not at the change after that.
            changed = self._supervisor.changed
            self._broadcast(self._clients, ["refresh"])
            if self._subscribers and (self._pending_deltas or self._pending_removed):
                deltas = {
                    "stations": self._pending_deltas,
                    "removed": sorted(self._pending_removed),
                }
                self._broadcast(self._subscribers, ["stationDeltas", deltas])
            self._pending_deltas, self._pending_removed = {}, set()
            await asyncio.sleep(PUSH_INTERVAL)


__all__ = ["FAILURE", "UI_PROTOCOL", "UiServer"]
