"""A station's connection lifecycle: connect, serve, reconnect with back-off, close on purpose,
reboot (a Reset), and a reloaded spec taken at the next connection. Version-neutral: what is
said on the connection (boot, statuses, keep-alive) is the version's adapter's (`Session`)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.plan import StationSpec
from simulator.station.connect_rate import ConnectRate
from simulator.station.connection import (
    Endpoint,
    FatalConnectError,
    TlsConnectError,
    connect_options,
    open_connection,
)
from simulator.station.lifecycle_ports import LifecycleHost, Session
from simulator.station.rpc import (
    CallFailed,
    CallHandler,
    ConnectionLost,
    RpcSession,
    first_message_id,
)
from simulator.station.transport import CONNECT_FAILED, CONNECTION_CLOSED, StationSocket
from simulator.stats import Statistics

if TYPE_CHECKING:
    from loguru import Logger

# WebSocket readyState values, as the seed's UI protocol reports them.
CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3

DEFAULT_RESPONSE_TIMEOUT = 30.0
# Why a previous run's open transactions end when the station starts again (section 7.40).
POWER_LOSS = "PowerLoss"


class RegistrationRefused(Exception):
    """The CSMS did not accept the station within registrationMaxRetries boots."""


class Lifecycle:
    """One station's connection, from start() to stop(), and the tasks of the station."""

    __slots__ = (
        "_closed_on_purpose",
        "_connect_rate",
        "_handle_call",
        "_host",
        "_message_ids",
        "_reloaded_spec",
        "_task",
        "_tasks",
        "_version",
        "_wanted",
        "_websocket",
        "accepted",
        "boot_accepted",
        "connections",
        "session",
    )

    def __init__(
        self,
        host: LifecycleHost,
        session: Session,
        handle_call: CallHandler,
        connect_rate: ConnectRate | None,
    ) -> None:
        self._host = host
        self._version = session
        self._handle_call = handle_call
        self._connect_rate = connect_rate
        self.connections = 0
        """WebSocket connections opened; all but the first are reconnections."""
        self.session: RpcSession | None = None
        # Unique across connections and restarts (OCPP-J 2.0.1 4.1.4): counted from the first
        # connection's time (first_message_id) for the life of the station.
        self._message_ids: itertools.count[int] | None = None
        self._websocket: StationSocket | None = None
        self._task: asyncio.Task[None] | None = None
        self._wanted = asyncio.Event()
        # The open connection is closed by the station itself (close, reboot, stop): no
        # back-off after it, whether or not it is wanted again by the time the reader sees
        # the close (a reboot with resetTime 0 wants it at once).
        self._closed_on_purpose = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reloaded_spec: StationSpec | None = None
        # Set while the CSMS has accepted the station on the open connection.
        self.accepted = asyncio.Event()
        # The same from the registration's answer on, before the statuses that follow it.
        self.boot_accepted = False

    # -- start, stop, open, close -----------------------------------------------------------

    async def start(self) -> None:
        host = self._host
        if host.started:
            return
        host.started = True
        # The file exists from the start, as the seed's does: within the debounce, not with
        # the first lazy write 10 s later (the first thousands of a boot then came at once).
        host.persist(urgent=True)
        await self._end_interrupted_transactions()
        self._wanted.set()
        self._task = asyncio.create_task(self._run(), name=f"station {host.spec.station_id}")
        host.changed(started=True)

    async def stop(self) -> None:
        """Close the connection (code 1000) and stop every task of the station."""
        host = self._host
        if not host.started:
            return
        host.started = False
        self._wanted.clear()
        # As the TS simulator does: the generator ends and the running transactions are
        # stopped while the connection is still open, so the CSMS closes them too.
        host.atg.stop()
        await host.transactions.stop_all("Local")
        await self._flush_transaction_messages()
        await self._close_websocket()
        tasks = [t for t in [self._task, *self._tasks] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._set_ws_state(CLOSED)
        host.changed(started=False)
        # The meters as they stopped; urgent, so that a removal can wait for it.
        host.persist(urgent=True)

    async def open(self) -> None:
        if not self._host.started:
            raise RuntimeError("station is stopped")
        self._wanted.set()

    async def close(self) -> None:
        """Close on purpose: the station stays offline until open()."""
        self._wanted.clear()
        await self._close_websocket()

    async def reboot(self, kind: str) -> None:
        """Reset.req (section 5.14, errata 3.36) once answered: the running transactions end
        with reason SoftReset / HardReset; resetCloseDelay after the answers have left (a
        CSMS reads the Reset.conf before the close), the connection closes, and after the
        template's resetTime the station connects and boots again."""
        host = self._host
        host.log.info("{} reset", kind)
        host.atg.stop()
        await host.transactions.stop_all(f"{kind}Reset")
        await self._flush_transaction_messages()
        self._wanted.clear()
        if self.session is not None:
            await self.session.answers_sent(DEFAULT_RESPONSE_TIMEOUT)
        await host.clock.sleep(host.template.reset_close_delay)
        await self._close_websocket()
        await host.clock.sleep(host.template.reset_time)
        if host.started:
            self._wanted.set()

    def reload_spec(self, spec: StationSpec) -> None:
        """A reloaded template or config.json: taken at the next (re)connection, so the
        dialogue in progress keeps the values it started with. Identity and serial numbers
        come from the spec, which keeps them while the template's identity keys stay."""
        if spec.hash_id != self._host.spec.hash_id:
            raise ValueError(
                f"spec of {spec.hash_id}, not of this station ({self._host.spec.hash_id})"
            )
        self._reloaded_spec = spec

    # -- the station's tasks ----------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A task of the station: cancelled by stop(), its failure logged."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, ConnectionLost | CallFailed | TimeoutError):
                self._host.log.opt(exception=exc).error("Station task failed")

    # -- connecting -------------------------------------------------------------------------

    async def _end_interrupted_transactions(self) -> None:
        """Transactions a previous run left open: it ended without stopping them (killed, power
        cut), so they stop now with reason PowerLoss (section 7.40) at the last meter reading
        it persisted; their end message waits in the queue like any other."""
        host = self._host
        for connector_id in sorted(host.connectors):
            connector = host.connectors[connector_id]
            if connector_id > 0 and connector.transaction_started:
                await host.transactions.stop(connector_id, POWER_LOSS)

    async def _flush_transaction_messages(self) -> None:
        """Before a close on purpose: what the queue holds leaves now, or (offline, a retry
        due later, no answer in time) stays queued and persisted for the next connection."""
        try:
            async with asyncio.timeout(DEFAULT_RESPONSE_TIMEOUT):
                await self._host.transactions.queue.flush()
        except TimeoutError:
            self._host.log.warning(
                "Transaction messages still queued at close: sent at the next start"
            )

    async def _close_websocket(self) -> None:
        websocket = self._websocket
        if websocket is not None:
            self._closed_on_purpose = True
            self._set_ws_state(CLOSING)
            await websocket.close(1000, "station closing")

    def _set_ws_state(self, state: int) -> None:
        host = self._host
        if state != host.ws_state:
            host.ws_state = state
            host.changed(wsState=state)

    def _gave_up(self) -> None:
        self._host.started = False
        self._host.changed(started=False)

    async def _run(self) -> None:
        """Connect, boot, serve; reconnect after any close the station did not ask for."""
        host = self._host
        failures = 0
        attempts = 0  # since the start, the reboot or the last connection (Session.endpoint)
        max_retries = host.template.auto_reconnect_max_retries
        while host.started:
            await self._wanted.wait()
            self._apply_reloaded_spec()
            self._set_ws_state(CONNECTING)
            if self._connect_rate is not None:
                await self._connect_rate.acquire()
            endpoint = self._version.endpoint(attempts, self._configured_endpoint())
            url = endpoint.url
            try:
                websocket = await open_connection(url, self._connect_options(endpoint))
            except FatalConnectError as exc:
                host.log.error("Cannot connect to {}: {}; station stopped", url, exc)
                self._set_ws_state(CLOSED)
                self._gave_up()
                return
            except TlsConnectError as exc:
                # A user's mistake (wsOptions' certificates) that retrying rarely fixes: said
                # once, at the first failure in a row, then retried quietly.
                self._set_ws_state(CLOSED)
                failures += 1
                attempts += 1
                log = host.log.error if failures == 1 else host.log.debug
                log("Cannot connect to {}: {}", url, exc)
            except CONNECT_FAILED as exc:
                self._set_ws_state(CLOSED)
                failures += 1
                attempts += 1
                host.log.debug("Connection to {} failed: {}", url, exc)
            else:
                failures = attempts = 0
                self._closed_on_purpose = False
                self.connections += 1
                if self.connections > 1:
                    host.changed(reconnects=self.connections - 1)
                if not await self._online(websocket, url):
                    return
                if self._closed_on_purpose or not self._wanted.is_set():
                    # Closed on purpose: connect again when asked (a reboot: at once).
                    continue
                failures += 1
            if 0 <= max_retries < failures:
                host.log.warning("Giving up after {} reconnect attempts", failures - 1)
                self._gave_up()
                return
            delay = self._version.reconnect_delay(failures, host.rng)
            host.log.debug("Reconnecting in {:.1f} s", delay)
            await host.clock.sleep(delay)

    def _apply_reloaded_spec(self) -> None:
        spec, self._reloaded_spec = self._reloaded_spec, None
        if spec is None:
            return
        host = self._host
        if spec.template.firmware_version != host.template.firmware_version:
            # An edited template's version wins over one an UpdateFirmware installed: the
            # user's latest word.
            host.firmware_version = spec.template.firmware_version
        host.spec = spec
        host.template = spec.template
        host.supervision_url = spec.supervision_url
        if not spec.template.enable_statistics:
            host.statistics = None
        elif host.statistics is None:
            host.statistics = Statistics()
        host.log.debug("Reloaded template {} applied", spec.template_path)
        host.changed(stationInfo=host.station_info(), supervisionUrl=host.supervision_url)

    def _configured_endpoint(self) -> Endpoint:
        spec = self._host.spec
        return Endpoint(self._host.ws_url, spec.supervision_user, spec.supervision_password)

    def _connect_options(self, endpoint: Endpoint) -> dict[str, Any]:
        host = self._host
        return connect_options(
            user=endpoint.user,
            password=endpoint.password,
            ws_options=host.template.ws_options,
            ping_interval=self._version.ping_interval(),
            subprotocol=self._version.subprotocol,
            base_dir=Path(host.spec.config_dir) if host.spec.config_dir else None,
        )

    # -- one connection ---------------------------------------------------------------------

    async def _online(self, websocket: StationSocket, url: str) -> bool:
        """Serve one connection until it closes; False when the station must stop for good."""
        host, version = self._host, self._version
        self._websocket = websocket
        if self._message_ids is None:
            self._message_ids = itertools.count(first_message_id(host.clock.now()))
        session = RpcSession(
            websocket,
            self._handle_call,
            schemas=version.schemas,
            message_ids=self._message_ids,
            response_timeout=version.response_timeout,
            # ocppStrictCompliance validates whatever payloadSchemaValidation says.
            validate_payloads=(
                host.template.payload_schema_validation or host.template.ocpp_strict_compliance
            ),
            statistics=host.statistics,
            log=host.log,
            spell_error=version.spell_error,
            framing=version.framing,
        )
        self.session = session
        self._set_ws_state(OPEN)
        host.log.debug("Connected to {}", url)
        reader = asyncio.create_task(_read(session, host.log))
        dialogue = asyncio.create_task(self.dialogue())
        keep_running = True
        try:
            await asyncio.wait({reader, dialogue}, return_when=asyncio.FIRST_COMPLETED)
            if dialogue.done() and isinstance(dialogue.exception(), RegistrationRefused):
                host.log.warning("{}; station stopped", dialogue.exception())
                keep_running = False
        finally:
            self.accepted.clear()
            self.boot_accepted = False
            if host.template.automatic_transaction_generator.stop_on_connection_failure:
                host.atg.stop()
            dialogue.cancel()
            if not reader.done():
                await websocket.close(1000, "station closing")
            reader.cancel()
            await asyncio.gather(reader, dialogue, return_exceptions=True)
            self.session = None
            self._websocket = None
            self._set_ws_state(CLOSED)
        if not keep_running:
            self._gave_up()
        return keep_running

    async def dialogue(self) -> None:
        """What the station and its CSMS say on a new connection, in this order: the
        registration, then transaction messages may leave, the statuses, the station is
        accepted (transactions may start), then keep-alive and clock-aligned samples."""
        host, version = self._host, self._version
        await version.register()
        self.boot_accepted = True
        host.transactions.queue.resume()
        await version.report_connectors()
        host.registration_accepted()
        await asyncio.gather(version.keep_alive(), host.transactions.sample_clock_aligned())


async def _read(session: RpcSession, log: Logger) -> None:
    try:
        await session.run()
    except CONNECTION_CLOSED as exc:
        log.debug("Connection closed: {}", exc)


__all__ = [
    "CLOSED",
    "CLOSING",
    "CONNECTING",
    "DEFAULT_RESPONSE_TIMEOUT",
    "OPEN",
    "Lifecycle",
    "LifecycleHost",
    "RegistrationRefused",
    "Session",
]
