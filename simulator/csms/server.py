"""The websockets side: listening, the OCPP-J handshake, one StationHandler per connection,
and the API tests drive (calls to stations, bounded waits, the message log)."""

import asyncio
import contextlib
import http
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import ocpp.messages
from loguru import logger
from websockets.asyncio.server import Server, ServerConnection, basic_auth, serve
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from simulator.csms.clock import Clock, utc_now
from simulator.csms.handlers import SchemaViolation, StationHandler
from simulator.csms.handlers201 import StationHandler201
from simulator.csms.journal import Journal
from simulator.csms.policy import Policy
from simulator.csms.recording import RecordingChargePoint
from simulator.csms.report import ReceivedMessage, Report, ReportWriter

SUBPROTOCOL = Subprotocol("ocpp1.6")
SUBPROTOCOL_201 = Subprotocol("ocpp2.0.1")
# The handler class for each subprotocol the CSMS speaks.
_HANDLERS: dict[Subprotocol, type[RecordingChargePoint]] = {
    SUBPROTOCOL: StationHandler,
    SUBPROTOCOL_201: StationHandler201,
}
# Close code for a connection superseded by a newer one from the same station id: 1000 tells a
# well-behaved client not to reconnect, so two processes sharing an id do not fight forever.
_REPLACED_CLOSE_CODE = 1000

__all__ = ["CentralSystem", "SchemaViolation", "StationDisconnected", "station_id_from_path"]


class StationDisconnected(ConnectionError):
    """The station is not connected, or went away before answering a CALL."""


def select_subprotocol(
    _connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol:
    """The first subprotocol the station offers that the CSMS speaks: the station lists
    them in its order of preference (P4 3.1.2); none in common refuses the handshake (400)."""
    for subprotocol in offered:
        if subprotocol in _HANDLERS:
            return subprotocol
    raise NegotiationError(f"no supported subprotocol; expected one of {', '.join(_HANDLERS)}")


def station_id_from_path(path: str) -> str:
    """The station id is the last segment of the URL path (`/ocpp/CS-1` -> `CS-1`)."""
    segments = [s for s in urlsplit(path).path.split("/") if s]
    return unquote(segments[-1]) if segments else ""


class CentralSystem:
    """An OCPP 1.6 and 2.0.1 CSMS for tests and demos, both on one port: each connection
    speaks the subprotocol the station prefers.

    Records (report, message log, boot counts, transaction ids) belong to the instance and
    survive `stop()`/`start()`, which is how tests simulate a CSMS restart; a restart binds the
    port of the first start, so stations reconnect to the same URL.
    """

    # Shared by every instance of the process (see StationHandler.schema_violations).
    schema_violations: ClassVar[list[SchemaViolation]] = StationHandler.schema_violations

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        heartbeat_interval: int = 60,
        boot_status_sequence: Iterable[str] = ("Accepted",),
        boot_retry_interval: int = 1,
        reject_id_tags: Iterable[str] = (),
        accepted_vendor_ids: Iterable[str] = ("evsim",),
        auth: tuple[str, str] | None = None,
        report_path: str | Path | None = None,
        response_timeout: float = 30.0,
        message_log_limit: int | None = 1000,
        clock: Clock = utc_now,
        recognise_retransmissions: bool = True,
        journal_path: str | Path | None = None,
    ) -> None:
        """`recognise_retransmissions` false: a StartTransaction received again gets a new id,
        and any transaction message received again after its answer left counts as an
        anomaly (report.py, answers.py): what a station that re-sends answered messages costs
        a CSMS that does not match them. `journal_path`: every CALL answered with a CALLRESULT
        is appended there before its answer leaves (journal.py), across restarts."""
        self.host = host
        self._requested_port = port
        self.policy = Policy.build(
            heartbeat_interval=heartbeat_interval,
            boot_status_sequence=boot_status_sequence,
            boot_retry_interval=boot_retry_interval,
            reject_id_tags=reject_id_tags,
            accepted_vendor_ids=accepted_vendor_ids,
        )
        self._auth = auth
        self.report = Report(clock, recognise_retransmissions=recognise_retransmissions)
        self._report_path = Path(report_path) if report_path is not None else None
        self._writer: ReportWriter | None = None
        self._response_timeout = response_timeout
        self._message_log_limit = message_log_limit
        self._clock = clock
        self._server: Server | None = None
        self._bound_port: int | None = None
        self._stations: dict[str, RecordingChargePoint] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._messages: dict[str, deque[ReceivedMessage]] = {}
        # Set and replaced on every change; created only while someone waits, so the hot
        # path costs one attribute test when nobody does.
        self._changed: asyncio.Event | None = None
        self._answering = asyncio.Event()  # cleared while answers_held()
        self._answering.set()
        self._journal = Journal(Path(journal_path)) if journal_path is not None else None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen; raises OSError when the address cannot be bound or the report written."""
        if self._server is not None:
            raise RuntimeError("central system already started")
        port = self._bound_port if self._bound_port is not None else self._requested_port
        # The library validates each payload in the default thread pool; jsonschema holds the
        # GIL, so the hop buys no parallelism and costs ~40% throughput (measured: 2,600 vs
        # 3,600 MeterValues/s with 2,000 stations). Process-wide, but evsim's stations use
        # their own validators, so the CSMS is the library's only user here.
        ocpp.messages.ASYNC_VALIDATION = False
        auth_check = basic_auth("evsim csms", credentials=self._auth) if self._auth else None

        async def process_request(
            connection: ServerConnection, request: Request
        ) -> Response | None:
            if not station_id_from_path(request.path):
                return connection.respond(http.HTTPStatus.NOT_FOUND, "no station id in path\n")
            return await auth_check(connection, request) if auth_check else None

        if self._report_path is not None and self._writer is None:
            self._writer = ReportWriter(self.report, self._report_path)
        if self._writer is not None:
            await self._writer.start()
        if self._journal is not None:
            self._journal.open()
        try:
            self._server = await serve(
                self._serve_station,
                self.host,
                port,
                subprotocols=list(_HANDLERS),
                select_subprotocol=select_subprotocol,
                process_request=process_request,
                # Deflate buffers cost ~100 KiB per connection and OCPP frames are small:
                # off, so thousands of stations fit in memory.
                compression=None,
                server_header=None,
                reuse_address=True,
            )
        except BaseException:
            if self._writer is not None:
                await self._writer.stop()
            if self._journal is not None:
                self._journal.close()
            raise
        self._bound_port = self._server.sockets[0].getsockname()[1]
        logger.info("csms listening on {}", self.url)

    async def stop(self) -> None:
        """Close every station connection with 1001 (going away), stop listening, write the
        report. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close(close_connections=True)
        await server.wait_closed()
        if self._writer is not None:
            await self._writer.stop()
        if self._journal is not None:
            self._journal.close()
        logger.info("csms stopped")
        self._notify()

    async def __aenter__(self) -> "CentralSystem":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("central system not started")
        return self._bound_port

    @property
    def url(self) -> str:
        """Base URL; a station connects to `url + "/" + station_id`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    def station_url(self, station_id: str) -> str:
        return f"{self.url}/{station_id}"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def connected(self) -> frozenset[str]:
        return frozenset(self._stations)

    # -- connections -----------------------------------------------------------------------

    async def _serve_station(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None  # the handler runs after the handshake
        station_id = station_id_from_path(websocket.request.path)
        station_log = logger.bind(station=station_id)
        messages = self._messages.get(station_id)
        if messages is None:
            messages = self._messages[station_id] = deque(maxlen=self._message_log_limit)
        handler_class = _HANDLERS.get(websocket.subprotocol or SUBPROTOCOL, StationHandler)
        handler = handler_class(
            station_id,
            websocket,
            policy=self.policy,
            report=self.report,
            messages=messages,
            clock=self._clock,
            on_change=self._notify,
            response_timeout=self._response_timeout,
            answering=self._answering,
            journal=self._journal,
        )
        previous = self._stations.get(station_id)
        self._stations[station_id] = handler
        if previous is not None:
            # The newest connection wins: the old one is usually a half-open socket from
            # before the station's reconnect. Closed in the background: a dead peer would
            # hold the closing handshake for close_timeout, and the new connection waiting.
            station_log.warning("station reconnected; closing its previous connection")
            closing = asyncio.create_task(
                previous.websocket.close(_REPLACED_CLOSE_CODE, "replaced by a newer connection")
            )
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        self.report.record_connected(station_id, handler.ocpp_version)
        station_log.debug("station connected from {}", websocket.remote_address)
        self._notify()
        try:
            await handler.start()
        except ConnectionClosed:
            pass
        except Exception:
            station_log.exception("station connection failed")
        finally:
            if self._stations.get(station_id) is handler:
                del self._stations[station_id]
                self.report.record_disconnected(station_id)
            station_log.debug("station disconnected ({})", websocket.close_code)
            self._notify()

    async def call(
        self,
        station_id: str,
        request: Any,
        timeout: float | None = None,  # per call, unlike response_timeout
    ) -> Any:
        """Send a CALL (an `ocpp.v16.call.*` dataclass to a 1.6 station, `ocpp.v201.call.*`
        to a 2.0.1 one) and return the station's `call_result.*` of that version. A CALLERROR
        raises the library's OCPPError subclass; a station that is or goes offline raises
        StationDisconnected; no answer within `timeout` (default: the response timeout)
        raises TimeoutError; a CALL of the other version raises ValueError."""
        handler = self._stations.get(station_id)
        if handler is None:
            raise StationDisconnected(f"station {station_id!r} is not connected")
        if type(request).__module__ != handler.calls_module:
            raise ValueError(
                f"station {station_id!r} speaks OCPP {handler.ocpp_version}: "
                f"{type(request).__module__}.{type(request).__name__} is not one of its CALLs"
            )
        self.report.record_sent(station_id, type(request).__name__)
        calling = asyncio.ensure_future(handler.call(request, suppress=False))
        closed = asyncio.ensure_future(handler.websocket.wait_closed())
        try:
            done, _ = await asyncio.wait(
                {calling, closed},
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            closed.cancel()
            if not calling.done():
                calling.cancel()
        if calling in done:
            return calling.result()
        if closed in done:
            raise StationDisconnected(
                f"station {station_id!r} disconnected before answering {type(request).__name__}"
            )
        raise TimeoutError(f"station {station_id!r} did not answer {type(request).__name__}")

    @contextlib.asynccontextmanager
    async def answers_held(self) -> AsyncIterator[None]:
        """Within the block, the CALLs stations send wait, unrecorded and unanswered, until it
        ends: a test that kills stations first lets the answers already sent reach them, so
        none is on its way at the kill."""
        self._answering.clear()
        try:
            yield
        finally:
            self._answering.set()

    def connection_closed(self, station_id: str) -> bool:
        """The station's socket is closed (seen by the transport even while its handler waits,
        as in answers_held)."""
        handler = self._stations.get(station_id)
        return handler is None or handler.websocket.state is State.CLOSED

    # -- observation -----------------------------------------------------------------------

    def ocpp_version(self, station_id: str) -> str | None:
        """The OCPP version the station's connection speaks; None when not connected."""
        handler = self._stations.get(station_id)
        return handler.ocpp_version if handler is not None else None

    def received(self, station_id: str, action: str | None = None) -> list[ReceivedMessage]:
        """CALLs received from a station, oldest first (the last `message_log_limit`)."""
        messages = self._messages.get(station_id, ())
        if action is None:
            return list(messages)
        return [m for m in messages if m.action == action]

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        # A required bound, not asyncio.timeout around the call: a test cannot forget it.
        timeout: float,
        what: str = "condition",
    ) -> None:
        """Return once `predicate()` holds, re-checked after every received message and
        connection change; TimeoutError after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    if self._changed is None:
                        self._changed = asyncio.Event()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"{what} not met within {timeout} s") from None

    async def wait_booted(self, count: int, timeout: float) -> None:
        """Wait until `count` stations have had their last BootNotification Accepted."""
        await self.wait_until(
            lambda: self.report.booted >= count, timeout, f"{count} stations booted"
        )

    async def wait_connected(self, count: int, timeout: float) -> None:
        await self.wait_until(
            lambda: len(self._stations) >= count, timeout, f"{count} stations connected"
        )

    async def wait_received(
        self,
        station_id: str,
        action: str,
        timeout: float,
        count: int = 1,
    ) -> list[ReceivedMessage]:
        """Wait for the station's `count`th `action` CALL (counted across the instance's
        lifetime) and return the logged ones."""

        def arrived() -> bool:
            record = self.report.stations.get(station_id)
            return record is not None and record.received.get(action, 0) >= count

        await self.wait_until(arrived, timeout, f"{count} {action} from {station_id}")
        return self.received(station_id, action)
