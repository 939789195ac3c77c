"""One simulated charging station: its state, its connection lifecycle and its OCPP dialogue."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from loguru import logger
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from simulator.identity import template_hash
from simulator.plan import StationSpec, station_ws_url
from simulator.station import schemas, station_data
from simulator.station.backoff import reconnect_delay
from simulator.station.clock import Clock, iso_timestamp
from simulator.station.configuration import OcppConfiguration
from simulator.station.connect_rate import ConnectRate
from simulator.station.connection import (
    FatalConnectError,
    TlsConnectError,
    connect_options,
    open_connection,
)
from simulator.station.connector_status import allowed
from simulator.station.core.atg import AutomaticTransactionGenerator
from simulator.station.core.model import ConnectorState
from simulator.station.core.queue import DEFAULT_ATTEMPTS, DEFAULT_RETRY_INTERVAL
from simulator.station.core.transactions import Transactions
from simulator.station.ev_plug import EvPlugs
from simulator.station.frames import CallError, ErrorCode, OcppError
from simulator.station.id_tags import IdTagDistribution, load_id_tags
from simulator.station.light_random import LightRandom
from simulator.station.local_auth import Authorizer, LocalAuthorization
from simulator.station.ocpp16 import ROUTER
from simulator.station.ocpp16.outbox import SEND_ERRORS, Outbox16
from simulator.station.ocpp16.queue_codec import TransactionQueue16
from simulator.station.ocpp16.sample_format import SAMPLE_FORMAT_16
from simulator.station.ocpp16.settings import Settings16
from simulator.station.persistence import StateStore
from simulator.station.reservations import Reservations
from simulator.station.rpc import CallFailed, ConnectionLost, RpcSession
from simulator.station.smart_charging import SmartCharging
from simulator.station.stable_status import StableStatus
from simulator.stats import Statistics

# WebSocket readyState values, as the seed's UI protocol reports them.
CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3

DEFAULT_RESPONSE_TIMEOUT = 30.0
DEFAULT_BOOT_RETRY_SECONDS = 30
DEFAULT_HEARTBEAT_SECONDS = 60
# OCPP 1.6 section 4.2: what a CSMS may not ask while the station is Pending.
NOT_WHILE_PENDING = frozenset({"RemoteStartTransaction", "RemoteStopTransaction"})

ChangeListener = Callable[["ChargingStation", dict[str, Any]], None]
# The changes of what the UI sees that are persisted as well (persisted_state).
_PERSISTED_DELTAS = frozenset({"ocppConfiguration", "stationInfo", "supervisionUrl"})


class RegistrationRefused(Exception):
    """The CSMS did not accept the station within registrationMaxRetries boots."""


class ChargingStation:
    def __init__(
        self,
        spec: StationSpec,
        *,
        clock: Clock,
        on_change: ChangeListener,
        statistics: Statistics | None = None,
        id_tags: Sequence[str] | None = None,
        connect_rate: ConnectRate | None = None,
        store: StateStore | None = None,
        persisted: dict[str, Any] | None = None,
    ) -> None:
        """`id_tags`: the authorizationFile's tags when the caller loaded them already (the
        host reads each file once for all its stations); else read here. `connect_rate`: the
        worker's bucket on new connections, shared by its stations; None for no limit.
        `store`: where the station's state is persisted (None: not persisted); `persisted`:
        the state a previous run left there, resumed here."""
        self.spec = spec
        self.template = spec.template
        self.clock = clock
        self.rng = LightRandom(spec.seed)
        self.statistics = statistics if self.template.enable_statistics else None
        self._on_change = on_change
        self.log = logger.bind(station=spec.station_id)
        self.connectors: dict[int, ConnectorState] = {
            connector_id: ConnectorState(
                connector_id, connector.boot_status or "Available", connector.boot_status
            )
            for connector_id, connector in spec.connectors.items()
        }
        physical = sum(1 for connector_id in self.connectors if connector_id > 0)
        self.configuration = OcppConfiguration.from_template(
            self.template.configuration.configuration_key if self.template.configuration else (),
            physical,
            supervision_url=(
                (self.template.supervision_url_ocpp_key, spec.supervision_url)
                if self.template.supervision_url_ocpp_configuration
                else None
            ),
        )
        self.supervision_url = spec.supervision_url
        # Replaced by an UpdateFirmware (section 5.19); the next boot reports it.
        self.firmware_version = self.template.firmware_version
        # What a triggered FirmwareStatusNotification / DiagnosticsStatusNotification reports
        # (sections 4.4, 4.5): the last status sent while an update / upload runs, else Idle.
        self.firmware_status = "Idle"
        self.diagnostics_status = "Idle"
        self.started = False
        self.ws_state = CLOSED
        self.boot_response: dict[str, Any] | None = None
        self.connections = 0
        """WebSocket connections opened; all but the first are reconnections."""
        self._message_ids = itertools.count(1)
        self._connect_rate = connect_rate
        self._session: RpcSession | None = None
        self._websocket: ClientConnection | None = None
        self._lifecycle: asyncio.Task[None] | None = None
        self._connection_wanted = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reloaded_spec: StationSpec | None = None
        # Set while the CSMS has accepted the station on the open connection.
        self._accepted = asyncio.Event()
        # The same from the BootNotification.conf on, before the statuses that follow it.
        self._boot_accepted = False
        self._queue_shown = (0, 0, 0)  # transactionQueue as the UI last heard of it
        # The status last reported per connector: what a next one must be a transition from.
        self._reported: dict[int, str] = {}
        self._stable_status = StableStatus(self.clock, self.spawn, self._send_stable_status)
        if id_tags is None:
            id_tags = load_id_tags(spec.authorization_file) if spec.authorization_file else []
        self.id_tags = IdTagDistribution(
            self.template.automatic_transaction_generator.id_tag_distribution, spec.index, id_tags
        )
        self.smart_charging = SmartCharging(self)
        self.authorization = Authorizer(self)
        self.reservations = Reservations(self)
        queue = TransactionQueue16(self, max_length=self.template.transaction_queue_max_length)
        self.transactions = Transactions(
            self, queue, Outbox16(self, queue), Settings16(self), SAMPLE_FORMAT_16
        )
        self.plugs = EvPlugs(self)
        self.atg = AutomaticTransactionGenerator(self, self.id_tags, SEND_ERRORS)
        self._store = store
        # ATG loops a previous run had running: started again at the next accepted boot.
        self._resume_atg: list[int] = []
        if persisted is not None:
            self._restore(persisted)

    # -- what the UI sees -------------------------------------------------------------------

    @property
    def hash_id(self) -> str:
        return self.spec.hash_id

    @property
    def ws_url(self) -> str:
        # From supervision_url, not the spec: setSupervisionUrl changes it at run time; with
        # supervisionUrlOcppConfiguration, the OCPP key (a ChangeConfiguration) does.
        url = self._ocpp_supervision_url() or self.supervision_url
        return station_ws_url(url, self.spec.station_id)

    def _ocpp_supervision_url(self) -> str | None:
        """The supervisionUrlOcppKey's value, when the template makes the URL an OCPP key."""
        if not self.template.supervision_url_ocpp_configuration:
            return None
        return self.configuration.get(self.template.supervision_url_ocpp_key) or None

    @property
    def booted(self) -> bool:
        """Accepted by the CSMS; with autoRegister, as soon as the CSMS answered its boot."""
        if self.boot_response is None:
            return False
        return self.template.auto_register or self.boot_response.get("status") == "Accepted"

    def station_info(self) -> dict[str, Any]:
        return station_data.station_info(self.spec, self.firmware_version)

    def data(self) -> dict[str, Any]:
        """The station's entry in listChargingStations (the seed's ChargingStationData)."""
        return {
            "stationInfo": self.station_info(),
            "started": self.started,
            "wsState": self.ws_state,
            "bootNotificationResponse": self.boot_response,
            "supervisionUrl": self.supervision_url,
            "reconnects": max(self.connections - 1, 0),
            "transactionQueue": {
                "length": len(self.transactions.queue),
                "dropped": self.transactions.queue.dropped,
                "skipped": self.transactions.queue.skipped,
            },
            "connectors": self.connectors_data(),
            "evses": [],
            "ocppConfiguration": {"configurationKey": self.configuration.as_list()},
            "automaticTransactionGenerator": self.atg.data(),
            "timestamp": station_data.epoch_ms(self.clock.now()),
        }

    def connectors_data(self) -> list[dict[str, Any]]:
        return station_data.connector_entries(self.connectors, self.reservations.by_connector())

    def _changed(self, **delta: Any) -> None:
        self._on_change(self, delta)
        if not _PERSISTED_DELTAS.isdisjoint(delta):
            self.persist()

    # -- persistence (persistence.py) -------------------------------------------------------

    def persist(self, *, urgent: bool = False, at_once: bool = False) -> None:
        """Written soon, off the loop; sooner `urgent` (a message waits to be sent), as soon as
        the writer is free `at_once` (an answer waits to be acted on). Meter readings: never."""
        if (store := self._store) is not None:
            store.changed(self.spec.hash_id, self.persisted_state, urgent=urgent, at_once=at_once)

    def persisted_state(self) -> dict[str, Any]:
        """`configurations/<hashId>.json`: the seed's sections (stationInfo, configurationKey,
        connectorsStatus, automaticTransactionGenerator) and evsim's (templateHash,
        transactionQueue, localAuthorization, chargingProfiles)."""
        template = self.template
        state: dict[str, Any] = {
            "templateHash": template_hash(template),
            "connectorsStatus": [self.connectors[i].as_state() for i in sorted(self.connectors)],
            "transactionQueue": self.transactions.queue.as_data(),
            "localAuthorization": self.authorization.state.as_data(),
            "chargingProfiles": self.smart_charging.as_data(),
            "automaticTransactionGenerator": {"running": self.atg.running_connectors()},
        }
        if template.station_info_persistent_configuration:
            state["stationInfo"] = {
                **self.station_info(),
                "meterSerialNumber": self.spec.meter_serial_number,
                "supervisionUrl": self.supervision_url,
                "templateFirmwareVersion": template.firmware_version,
            }
        if template.ocpp_persistent_configuration:
            state["configurationKey"] = self.configuration.as_list()
            state["changedKeys"] = sorted(self.configuration.changed_keys)
        return state

    def _restore(self, state: dict[str, Any]) -> None:
        template = self.template
        if state.get("templateHash") != template_hash(template):
            # Issue 9: regenerated partially. The configuration comes from the edited template,
            # persisted values kept only for keys it still has writable (restore below).
            self.log.info("Template edited since the state was saved: configuration regenerated")
        if template.ocpp_persistent_configuration:
            changed = state.get("changedKeys")
            self.configuration.restore(
                state.get("configurationKey") or [],
                changed if isinstance(changed, list) else None,
            )
        info = state.get("stationInfo")
        if template.station_info_persistent_configuration and isinstance(info, dict):
            self._restore_serial_numbers(info)
        # An UpdateFirmware installed it, unless the template has changed version since.
        if (
            template.station_info_persistent_configuration
            and isinstance(info, dict)
            and info.get("templateFirmwareVersion") == template.firmware_version
        ):
            self.firmware_version = info.get("firmwareVersion") or self.firmware_version
        now = self.clock.monotonic()
        for connector_state in state.get("connectorsStatus") or []:
            connector = self.connectors.get(int(connector_state.get("connectorId", -1)))
            if connector is not None:
                connector.restore(connector_state, now)
                if connector.availability != "Operative":
                    connector.status = "Unavailable"
        queue = state.get("transactionQueue")
        if isinstance(queue, dict):
            self.transactions.queue.restore(queue)
        local = state.get("localAuthorization")
        if isinstance(local, dict):
            self.authorization.state = LocalAuthorization.from_data(local)
        profiles = state.get("chargingProfiles")
        if isinstance(profiles, list):
            self.smart_charging.restore(profiles)
        atg = state.get("automaticTransactionGenerator")
        if isinstance(atg, dict):
            self._resume_atg = [int(c) for c in atg.get("running", []) if int(c) in self.connectors]
        self.log.debug("State of a previous run restored")

    def _restore_serial_numbers(self, info: dict[str, Any]) -> None:
        """The serial numbers the station had, kept while they carry the template's prefixes:
        they derive from config.json's seed too, which may have changed since."""
        template, spec = self.template, self.spec

        def kept(key: str, prefix: str, current: str | None) -> str | None:
            value = info.get(key)
            if current and isinstance(value, str) and value.startswith(prefix):
                return value
            return current

        self.spec = dataclasses.replace(
            spec,
            charge_point_serial_number=kept(
                "chargePointSerialNumber",
                template.charge_point_serial_number_prefix,
                spec.charge_point_serial_number,
            ),
            charge_box_serial_number=kept(
                "chargeBoxSerialNumber",
                template.charge_box_serial_number_prefix,
                spec.charge_box_serial_number,
            ),
            meter_serial_number=kept(
                "meterSerialNumber", template.meter_serial_number_prefix, spec.meter_serial_number
            ),
        )

    async def _end_interrupted_transactions(self) -> None:
        """Transactions a previous run left open: it ended without stopping them (killed, power
        cut), so they stop now with reason PowerLoss (section 7.40) at the last meter reading
        it persisted; their StopTransaction waits in the queue like any other."""
        for connector_id in sorted(self.connectors):
            connector = self.connectors[connector_id]
            if connector_id > 0 and connector.transaction_started:
                await self.transactions.stop(connector_id, "PowerLoss")

    # -- what the transaction queue needs (core.queue.QueueHost) ------------------------------

    def link_up(self) -> bool:
        """Transaction messages may be sent: connected, and accepted on this connection."""
        return self._boot_accepted

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

    def retry_policy(self) -> tuple[int, int]:
        """(TransactionMessageAttempts, TransactionMessageRetryInterval), section 3.7.1."""
        return (
            self.configuration.get_int("TransactionMessageAttempts", DEFAULT_ATTEMPTS),
            self.configuration.get_int("TransactionMessageRetryInterval", DEFAULT_RETRY_INTERVAL),
        )

    async def persisted(self) -> None:
        if self._store is not None:
            await self._store.flushed(self.spec.hash_id)

    answer_persisted = persisted  # the same wait: every urgent change so far on disk

    def queue_changed(self, *, grew: bool) -> None:
        # Written ahead when a message joins, at once when one leaves: the queue waits for both.
        self.persist(urgent=grew, at_once=not grew)
        queue = self.transactions.queue
        # The UI hears of messages that wait, not of each one passing through an empty queue
        # online (0 -> 1 -> 0 on every message: two deltas a message for nothing).
        waiting = len(queue) if len(queue) > 1 or not self.link_up() else 0
        shown = (waiting, queue.dropped, queue.skipped)
        if shown != self._queue_shown:
            self._queue_shown = shown
            self._changed(
                transactionQueue={"length": shown[0], "dropped": shown[1], "skipped": shown[2]}
            )

    def configuration_changed(self, key: str) -> None:
        self._changed(ocppConfiguration={"configurationKey": self.configuration.as_list()})
        url = self._ocpp_supervision_url()
        if url is not None and key.lower() == self.template.supervision_url_ocpp_key.lower():
            self.supervision_url = url
            self._changed(supervisionUrl=url)

    def connectors_changed(self) -> None:
        self._changed(connectors=self.connectors_data())

    def atg_changed(self) -> None:
        self._changed(automaticTransactionGenerator=self.atg.data())

    def station_info_changed(self) -> None:
        """stationInfo changed (an installed firmware): the UI hears of it, and it is persisted."""
        self._changed(stationInfo=self.station_info())

    def set_id_tags(self, id_tags: Sequence[str]) -> None:
        """A reloaded authorizationFile: the next sessions draw from the new list."""
        self.id_tags.replace_tags(id_tags)

    def registration_accepted(self) -> None:
        """The CSMS accepted the station on this connection: transactions may start, and the
        ATG starts when the template enables it (on every accepted boot, as in the TS
        simulator)."""
        self._accepted.set()
        self.transactions.queue.resume()
        if self.template.automatic_transaction_generator.enable:
            self.atg.start()
        elif self._resume_atg:
            self.atg.start(self._resume_atg)
        self._resume_atg = []

    async def wait_accepted(self) -> None:
        """Until the CSMS has accepted the station on an open connection."""
        await self._accepted.wait()

    # -- what the UI changes ----------------------------------------------------------------

    def set_supervision_url(self, url: str) -> None:
        """The CSMS of the next connection (the TS simulator's setSupervisionUrl: the open
        connection, if any, stays where it is). With supervisionUrlOcppConfiguration the OCPP
        key holds it, so GetConfiguration shows the change."""
        if self.template.supervision_url_ocpp_configuration:
            self.configuration.set(self.template.supervision_url_ocpp_key, url)
        self.supervision_url = url
        self._changed(supervisionUrl=url)

    def set_connector_locked(self, connector_id: int, locked: bool) -> None:
        connector = self.connectors.get(connector_id)
        if connector is None or connector_id == 0:
            raise ValueError(f"no connector {connector_id}")
        connector.locked = locked
        self._changed(connectors=self.connectors_data())
        self.persist()

    def set_connector_status(
        self, connector_id: int, status: str | None, error_code: str | None
    ) -> None:
        connector = self.connectors.get(connector_id)
        if connector is None:
            raise ValueError(f"no connector {connector_id}")
        if status is not None:
            connector.status = status
        if error_code is not None:
            connector.error_code = error_code
        self._changed(connectors=self.connectors_data())

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """A BootNotification on demand; its answer becomes the station's boot response."""
        response = await self.call("BootNotification", {**self.boot_payload(), **overrides})
        self.boot_response = response
        self._changed(bootNotificationResponse=response)
        return response

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self.started:
            return
        self.started = True
        self.persist()  # the file exists from the start, as the seed's does
        await self._end_interrupted_transactions()
        self._connection_wanted.set()
        self._lifecycle = asyncio.create_task(self._run(), name=f"station {self.spec.station_id}")
        self._changed(started=True)

    async def stop(self) -> None:
        """Close the connection (code 1000) and stop every task of the station."""
        if not self.started:
            return
        self.started = False
        self._connection_wanted.clear()
        # As the TS simulator does: the generator ends and the running transactions are
        # stopped while the connection is still open, so the CSMS closes them too.
        self.atg.stop()
        await self.transactions.stop_all("Local")
        await self._flush_transaction_messages()
        await self._close_websocket()
        for task in [self._lifecycle, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *(t for t in [self._lifecycle, *self._tasks] if t is not None), return_exceptions=True
        )
        self._lifecycle = None
        self._set_ws_state(CLOSED)
        self._changed(started=False)
        # The meters as they stopped; urgent, so that a removal can wait for it.
        self.persist(urgent=True)

    async def _flush_transaction_messages(self) -> None:
        """Before a close on purpose: what the queue holds leaves now, or (offline, a retry
        due later, no answer in time) stays queued and persisted for the next connection."""
        try:
            async with asyncio.timeout(DEFAULT_RESPONSE_TIMEOUT):
                await self.transactions.queue.flush()
        except TimeoutError:
            self.log.warning("Transaction messages still queued at close: sent at the next start")

    async def open_connection(self) -> None:
        if not self.started:
            raise RuntimeError("station is stopped")
        self._connection_wanted.set()

    async def close_connection(self) -> None:
        """Close on purpose: the station stays offline until open_connection()."""
        self._connection_wanted.clear()
        await self._close_websocket()

    async def _close_websocket(self) -> None:
        websocket = self._websocket
        if websocket is not None:
            self._set_ws_state(CLOSING)
            await websocket.close(1000, "station closing")

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
                self.log.opt(exception=exc).error("Station task failed")

    def _set_ws_state(self, state: int) -> None:
        if state != self.ws_state:
            self.ws_state = state
            self._changed(wsState=state)

    async def _run(self) -> None:
        """Connect, boot, serve; reconnect after any close the station did not ask for."""
        failures = 0
        max_retries = self.template.auto_reconnect_max_retries
        while self.started:
            await self._connection_wanted.wait()
            self._apply_reloaded_spec()
            self._set_ws_state(CONNECTING)
            if self._connect_rate is not None:
                await self._connect_rate.acquire()
            try:
                websocket = await open_connection(self.ws_url, self._connect_options())
            except FatalConnectError as exc:
                self.log.error("Cannot connect to {}: {}; station stopped", self.ws_url, exc)
                self._set_ws_state(CLOSED)
                self.started = False
                self._changed(started=False)
                return
            except TlsConnectError as exc:
                # A user's mistake (wsOptions' certificates) that retrying rarely fixes: said
                # once, at the first failure in a row, then retried quietly.
                self._set_ws_state(CLOSED)
                failures += 1
                log = self.log.error if failures == 1 else self.log.debug
                log("Cannot connect to {}: {}", self.ws_url, exc)
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                self._set_ws_state(CLOSED)
                failures += 1
                self.log.debug("Connection to {} failed: {}", self.ws_url, exc)
            else:
                failures = 0
                self.connections += 1
                if self.connections > 1:
                    self._changed(reconnects=self.connections - 1)
                if not await self._online(websocket):
                    return
                if not self._connection_wanted.is_set():
                    continue  # closed on purpose: wait to be asked again
                failures += 1
            if 0 <= max_retries < failures:
                self.log.warning("Giving up after {} reconnect attempts", failures - 1)
                self.started = False
                self._changed(started=False)
                return
            delay = reconnect_delay(
                failures,
                exponential=self.template.reconnect_exponential_delay,
                fixed_seconds=self.configuration.get_int("ConnectionTimeOut", 30),
                rng=self.rng,
            )
            self.log.debug("Reconnecting in {:.1f} s", delay)
            await self.clock.sleep(delay)

    def reload_spec(self, spec: StationSpec) -> None:
        """A reloaded template or config.json: taken at the next (re)connection, so the
        dialogue in progress keeps the values it started with. Identity and serial numbers
        come from the spec, which keeps them while the template's identity keys stay."""
        if spec.hash_id != self.spec.hash_id:
            raise ValueError(f"spec of {spec.hash_id}, not of this station ({self.hash_id})")
        self._reloaded_spec = spec

    def _apply_reloaded_spec(self) -> None:
        spec, self._reloaded_spec = self._reloaded_spec, None
        if spec is None:
            return
        if spec.template.firmware_version != self.template.firmware_version:
            # An edited template's version wins over one an UpdateFirmware installed: the
            # user's latest word.
            self.firmware_version = spec.template.firmware_version
        self.spec = spec
        self.template = spec.template
        self.supervision_url = spec.supervision_url
        if not spec.template.enable_statistics:
            self.statistics = None
        elif self.statistics is None:
            self.statistics = Statistics()
        self.log.debug("Reloaded template {} applied", spec.template_path)
        self._changed(stationInfo=self.station_info(), supervisionUrl=self.supervision_url)

    def _connect_options(self) -> dict[str, Any]:
        return connect_options(
            user=self.spec.supervision_user,
            password=self.spec.supervision_password,
            ws_options=self.template.ws_options,
            ping_interval=self.configuration.get_int("WebSocketPingInterval", 0),
            base_dir=Path(self.spec.config_dir) if self.spec.config_dir else None,
        )

    async def _online(self, websocket: ClientConnection) -> bool:
        """Serve one connection until it closes; False when the station must stop for good."""
        self._websocket = websocket
        session = RpcSession(
            websocket,
            self._handle_call,
            message_ids=self._message_ids,
            response_timeout=DEFAULT_RESPONSE_TIMEOUT,
            # ocppStrictCompliance validates whatever payloadSchemaValidation says.
            validate_payloads=(
                self.template.payload_schema_validation or self.template.ocpp_strict_compliance
            ),
            statistics=self.statistics,
            log=self.log,
        )
        self._session = session
        self._set_ws_state(OPEN)
        self.log.debug("Connected to {}", self.ws_url)
        reader = asyncio.create_task(self._read(session))
        dialogue = asyncio.create_task(self._dialogue(session))
        keep_running = True
        try:
            await asyncio.wait({reader, dialogue}, return_when=asyncio.FIRST_COMPLETED)
            if dialogue.done() and isinstance(dialogue.exception(), RegistrationRefused):
                self.log.warning("{}; station stopped", dialogue.exception())
                keep_running = False
        finally:
            self._accepted.clear()
            self._boot_accepted = False
            if self.template.automatic_transaction_generator.stop_on_connection_failure:
                self.atg.stop()
            dialogue.cancel()
            if not reader.done():
                await websocket.close(1000, "station closing")
            reader.cancel()
            await asyncio.gather(reader, dialogue, return_exceptions=True)
            self._session = None
            self._websocket = None
            self._set_ws_state(CLOSED)
        if not keep_running:
            self.started = False
            self._changed(started=False)
        return keep_running

    async def _read(self, session: RpcSession) -> None:
        try:
            await session.run()
        except ConnectionClosed as exc:
            self.log.debug("Connection closed: {}", exc)

    async def _handle_call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        handler = ROUTER.handler(action)
        if handler is None:
            if schemas.is_known_action(action):
                raise OcppError(ErrorCode.NOT_SUPPORTED, f"{action} is not supported")
            raise OcppError(ErrorCode.NOT_IMPLEMENTED, f"unknown action {action}")
        if not self._incoming_supported(action):
            raise OcppError(ErrorCode.NOT_SUPPORTED, f"{action} is disabled by commandsSupport")
        if self.template.ocpp_strict_compliance and action in NOT_WHILE_PENDING and self.pending:
            raise OcppError(ErrorCode.SECURITY_ERROR, f"{action} is not allowed while Pending")
        return await handler(self, payload)

    @property
    def pending(self) -> bool:
        """The CSMS's last answer to the boot was Pending (section 4.2)."""
        return self.boot_response is not None and self.boot_response.get("status") == "Pending"

    def _incoming_supported(self, action: str) -> bool:
        support = self.template.commands_support
        incoming = support.incoming_commands if support is not None else None
        return not incoming or bool(incoming.get(action, False))

    def outgoing_supported(self, action: str) -> bool:
        support = self.template.commands_support
        outgoing = support.outgoing_commands if support is not None else None
        return not outgoing or bool(outgoing.get(action, False))

    # -- the dialogue with the CSMS ---------------------------------------------------------

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self.outgoing_supported(action):
            # Not sent: the caller sees what a CSMS refusing it would cause, which every
            # station path already handles.
            disabled = CallError("", ErrorCode.NOT_SUPPORTED, "disabled by commandsSupport")
            raise CallFailed(action, disabled)
        session = self._session
        if session is None or session.closed:
            raise ConnectionLost(action)
        return await session.call(action, payload)

    async def _dialogue(self, session: RpcSession) -> None:
        await self._boot()
        self._boot_accepted = True
        self.transactions.queue.resume()
        await self._send_all_statuses()
        self.registration_accepted()
        await asyncio.gather(self._heartbeats(), self.transactions.sample_clock_aligned())

    def boot_payload(self) -> dict[str, Any]:
        template = self.template
        payload: dict[str, Any] = {
            "chargePointVendor": template.charge_point_vendor,
            "chargePointModel": template.charge_point_model,
        }
        optional = {
            "chargePointSerialNumber": self.spec.charge_point_serial_number,
            "chargeBoxSerialNumber": self.spec.charge_box_serial_number,
            "meterSerialNumber": self.spec.meter_serial_number,
            "meterType": template.meter_type,
            "firmwareVersion": self.firmware_version,
            "iccid": template.iccid,
            "imsi": template.imsi,
        }
        payload.update({key: value for key, value in optional.items() if value})
        return payload

    async def _boot(self) -> None:
        """BootNotification until Accepted (OCPP 1.6 section 4.2), at most registrationMaxRetries
        more times after a Pending or Rejected answer, waiting the interval the CSMS gave."""
        max_retries = self.template.registration_max_retries
        refusals = 0
        while True:
            try:
                response = await self.call("BootNotification", self.boot_payload())
            except (TimeoutError, CallFailed) as exc:
                self.log.warning("BootNotification failed: {}", exc)
                response = None
            if response is not None:
                self.boot_response = response
                self._changed(bootNotificationResponse=response)
                if response["status"] == "Accepted":
                    interval = int(response.get("interval") or 0)
                    if interval > 0:
                        self.configuration.set("HeartbeatInterval", str(interval))
                    self.log.debug("Booted, heartbeat interval {} s", interval)
                    return
                if self.template.auto_register:
                    # "registered at boot notification for testing purpose" (the seed): the
                    # CSMS's answer is kept for the UI, the station carries on as accepted.
                    self.log.info("Boot {}; autoRegister: going on as accepted", response["status"])
                    return
                wait = int(response.get("interval") or 0) or DEFAULT_BOOT_RETRY_SECONDS
            else:
                wait = DEFAULT_BOOT_RETRY_SECONDS
            refusals += 1
            if 0 <= max_retries < refusals:
                raise RegistrationRefused(f"boot not accepted after {refusals} attempts")
            await self.clock.sleep(wait)

    async def _send_all_statuses(self) -> None:
        for connector_id in sorted(self.connectors):
            try:
                await self.send_status(connector_id, report=True)
            except (TimeoutError, CallFailed) as exc:
                # A status the CSMS refused is not a reason to drop the connection.
                self.log.warning("StatusNotification failed: {}", exc)

    async def send_status(
        self, connector_id: int, *, report: bool = False, deferred: bool = False
    ) -> None:
        """StatusNotification.req of the connector's status: only a section 4.9 transition from
        the status last reported (or the same status again), unless `report` (the statuses
        after a boot, a TriggerMessage) asks for the state as it is. With MinimumStatusDuration
        only a status that lasted it is sent (`deferred`, stable_status): as section 4.9
        allows, the change reported may then span several transitions."""
        if not self.outgoing_supported("StatusNotification"):
            return
        minimum = self.configuration.get_int("MinimumStatusDuration", 0)
        if minimum > 0 and not report and not deferred:
            self._stable_status.began(connector_id, minimum)
            return
        connector = self.connectors[connector_id]
        last = self._reported.get(connector_id)
        if (
            not report
            and not deferred
            and last is not None
            and last != connector.status
            and not allowed(last, connector.status, connector_id)
        ):
            self.log.info(
                "Connector {}: {} -> {} is not a section 4.9 transition; not reported",
                connector_id,
                last,
                connector.status,
            )
            return
        self._reported[connector_id] = connector.status
        await self.call(
            "StatusNotification",
            {
                "connectorId": connector_id,
                "errorCode": connector.error_code,
                "status": connector.status,
                "timestamp": iso_timestamp(self.clock.now()),
            },
        )

    async def _send_stable_status(self, connector_id: int) -> None:
        if self.connectors[connector_id].status != self._reported.get(connector_id):
            await self.send_status(connector_id, report=False, deferred=True)

    async def _heartbeats(self) -> None:
        while True:
            interval = self.configuration.get_int("HeartbeatInterval", 0)
            await self.clock.sleep(interval if interval > 0 else DEFAULT_HEARTBEAT_SECONDS)
            try:
                await self.heartbeat()
            except (TimeoutError, CallFailed) as exc:
                self.log.warning("Heartbeat failed: {}", exc)

    async def heartbeat(self) -> dict[str, Any]:
        return await self.call("Heartbeat", {})

    async def change_status(self, connector_id: int, status: str) -> bool:
        """Move a connector to `status` and report it, when section 4.9 allows the transition;
        False (and a log line) when it does not."""
        connector = self.connectors[connector_id]
        if connector.status == status:
            return True
        if not allowed(connector.status, status, connector_id):
            self.log.info(
                "Connector {}: {} -> {} is not a section 4.9 transition; ignored",
                connector_id,
                connector.status,
                status,
            )
            return False
        connector.status = status
        self.connectors_changed()
        try:
            await self.send_status(connector_id)
        except (TimeoutError, CallFailed, ConnectionLost) as exc:
            self.log.debug("StatusNotification {} not sent: {}", connector_id, exc)
        return True

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        """DataTransfer.req to the CSMS (section 4.3); its answer."""
        payload: dict[str, Any] = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        return await self.call("DataTransfer", payload)

    async def reset(self, kind: str) -> None:
        """Reset.req (section 5.14, errata 3.36) once answered: the running transactions end
        with reason SoftReset / HardReset; resetCloseDelay after the answers have left (a
        CSMS reads the Reset.conf before the close), the connection closes, and after the
        template's resetTime the station connects and boots again."""
        self.log.info("{} reset", kind)
        self.atg.stop()
        await self.transactions.stop_all(f"{kind}Reset")
        await self._flush_transaction_messages()
        self._connection_wanted.clear()
        if self._session is not None:
            await self._session.answers_sent(DEFAULT_RESPONSE_TIMEOUT)
        await self.clock.sleep(self.template.reset_close_delay)
        await self._close_websocket()
        await self.clock.sleep(self.template.reset_time)
        if self.started:
            self._connection_wanted.set()

    async def send_triggered(self, action: str, connector_id: int | None) -> None:
        if action == "BootNotification":
            response = await self.call("BootNotification", self.boot_payload())
            self.boot_response = response
            self._changed(bootNotificationResponse=response)
        elif action == "Heartbeat":
            await self.heartbeat()
        elif action == "StatusNotification":
            if connector_id is None:
                await self._send_all_statuses()
            else:
                await self.send_status(connector_id, report=True)
