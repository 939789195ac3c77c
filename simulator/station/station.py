"""One simulated charging station, the composition root of its parts: the features, the OCPP
version's adapter (what is said on the wire), the lifecycle of its connection (lifecycle.py) and
the dispatch of incoming CALLs (dispatch.py). It holds what the UI sees and what is persisted."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from loguru import logger

from simulator.plan import StationSpec, station_ws_url
from simulator.station import adapters, connector_status, dispatch, station_data, station_state
from simulator.station.clock import Clock
from simulator.station.connect_rate import ConnectRate
from simulator.station.core.atg import AutomaticTransactionGenerator
from simulator.station.core.availability_levels import AvailabilityLevels
from simulator.station.core.model import ConnectorState
from simulator.station.core.remote_starts import RemoteStarts
from simulator.station.core.tokens import IdToken, Verdict
from simulator.station.dispatch import Dispatcher
from simulator.station.id_tags import IdTagDistribution, load_id_tags
from simulator.station.lifecycle import (
    CLOSED,
    CLOSING,
    CONNECTING,
    OPEN,
    Lifecycle,
    RegistrationRefused,
)
from simulator.station.light_random import LightRandom
from simulator.station.persistence import StateStore
from simulator.station.rpc import ConnectionLost
from simulator.stats import Statistics

ChangeListener = Callable[["ChargingStation", dict[str, Any]], None]
# How stale the UI's meter readings of a charging connector may be (ChargingStation.meters_moved).
METER_DELTA_SECONDS = 5.0
# The changes of what the UI sees that are persisted as well (persisted_state).
_PERSISTED_DELTAS = frozenset({"ocppConfiguration", "stationInfo", "supervisionUrl"})


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
        version = adapters.for_version(self.template.ocpp_version)
        self.configuration, self.variables = version.keys(
            spec,
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
        self._queue_shown = (0, 0, 0)  # transactionQueue as the UI last heard of it
        self._connectors_shown_at = -math.inf  # when the UI last heard of the connectors
        # The CSMS's ChangeAvailability by level (station, EVSE, connector) and its remote
        # starts awaiting their transaction (2.0.1's handlers keep them).
        self.availability_levels = AvailabilityLevels()
        self.remote_starts = RemoteStarts()
        self.adapter = version.adapter(self)
        self.dispatch = Dispatcher(self.adapter, self)
        self.lifecycle = Lifecycle(self, self.adapter, self._handle_call, connect_rate)
        if id_tags is None:
            id_tags = load_id_tags(spec.authorization_file) if spec.authorization_file else []
        self.id_tags = IdTagDistribution(
            self.template.automatic_transaction_generator.id_tag_distribution, spec.index, id_tags
        )
        parts = version.features(self)
        self.smart_charging = parts.smart_charging
        self.authorization = parts.authorization
        self.reservations = parts.reservations
        self.transactions = parts.transactions
        self.plugs = parts.plugs
        self.retry_policy = parts.retry_policy
        self.atg = AutomaticTransactionGenerator(self, self.id_tags, parts.send_errors)
        self._store = store
        self._document = station_state.StateDocument()
        # ATG loops a previous run had running: started again at the next accepted boot.
        self._resume_atg: list[int] = []
        if persisted is not None:
            self._resume_atg = station_state.restore(self, persisted)

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
        return self.template.auto_register or self.adapter.accepted(self.boot_response)

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
            "evses": self.evses_data(),
            "ocppConfiguration": {"configurationKey": self.configuration.shown()},
            "automaticTransactionGenerator": self.atg.data(),
            "timestamp": station_data.epoch_ms(self.clock.now()),
        }

    def connectors_data(self) -> list[dict[str, Any]]:
        """The connectors of a station without EVSEs (1.6); [] for one with EVSEs (2.0.1)."""
        return station_data.connector_entries(
            self.connectors, self.reservations.by_connector(), self.spec.evses
        )

    def evses_data(self) -> list[dict[str, Any]]:
        """A 2.0.1 station's EVSEs and their connectors, the TS simulator's `evses`."""
        if not self.spec.evses:
            return []
        return station_data.evse_entries(
            self.connectors,
            self.reservations.by_connector(),
            self.spec.evses,
            status=self.adapter.status_spelling,
        )

    def changed(self, **delta: Any) -> None:
        """What the UI sees changed (`delta`: its new values); persisted when they are."""
        self._on_change(self, delta)
        if not _PERSISTED_DELTAS.isdisjoint(delta):
            self.persist()

    _changed = changed  # its former name, which a test (test_persistence.py) still calls

    # -- persistence (persistence.py) -------------------------------------------------------

    def persist(self, *, urgent: bool = False, at_once: bool = False) -> None:
        """Written soon, off the loop; sooner `urgent` (a message waits to be sent), as soon as
        the writer is free `at_once` (an answer waits to be acted on). Meter readings: never."""
        if (store := self._store) is not None:
            store.changed(self.spec.hash_id, self.persisted_parts, urgent=urgent, at_once=at_once)

    def persisted_state(self) -> dict[str, Any]:
        return station_state.persisted_state(self)

    def persisted_document(self) -> bytes:
        """`persisted_state` encoded, re-encoding only the sections that changed."""
        return self._document.encode(self)

    def persisted_parts(self) -> tuple[tuple[bytes, ...], bytes]:
        """The same document, as its fixed part (the same object while it is unchanged) and
        the rest, which a write after the first rewrites alone (persistence.OpenFiles)."""
        return self._document.parts(self)

    # -- what the transaction queue needs (core.queue.QueueHost) ------------------------------

    def link_up(self) -> bool:
        """Transaction messages may be sent: connected, and accepted on this connection."""
        return self.lifecycle.boot_accepted

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

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
            self.changed(
                transactionQueue={"length": shown[0], "dropped": shown[1], "skipped": shown[2]}
            )

    def configuration_changed(self, key: str) -> None:
        self.changed(ocppConfiguration={"configurationKey": self.configuration.shown()})
        url = self._ocpp_supervision_url()
        if url is not None and key.lower() == self.template.supervision_url_ocpp_key.lower():
            self.supervision_url = url
            self.changed(supervisionUrl=url)

    def meters_moved(self) -> None:
        """Only the meters moved (a sampling tick): the UI hears of it at most every
        METER_DELTA_SECONDS, or with the connectors' next change. Issue 16: a delta every
        tick cost the worker (building, pickling) and the supervisor (applying) about a tenth
        of a MeterValues round trip, for readings nobody reads each second."""
        if self.clock.monotonic() - self._connectors_shown_at >= METER_DELTA_SECONDS:
            self.connectors_changed()

    def connectors_changed(self) -> None:
        self._connectors_shown_at = self.clock.monotonic()
        self.changed(
            **station_data.connector_delta(
                self.connectors,
                self.reservations.by_connector(),
                self.spec.evses,
                status=self.adapter.status_spelling,
            )
        )

    def atg_changed(self) -> None:
        self.changed(automaticTransactionGenerator=self.atg.data())

    def station_info_changed(self) -> None:
        """stationInfo changed (an installed firmware): the UI hears of it, and it is persisted."""
        self.changed(stationInfo=self.station_info())

    def set_id_tags(self, id_tags: Sequence[str]) -> None:
        """A reloaded authorizationFile: the next sessions draw from the new list."""
        self.id_tags.replace_tags(id_tags)

    def registration_accepted(self) -> None:
        """The CSMS accepted the station on this connection: transactions may start, and the
        ATG starts when the template enables it (on every accepted boot, as in the TS
        simulator)."""
        self.lifecycle.accepted.set()
        self.transactions.queue.resume()
        if self.template.automatic_transaction_generator.enable:
            self.atg.start()
        elif self._resume_atg:
            self.atg.start(self._resume_atg)
        self._resume_atg = []

    async def wait_accepted(self) -> None:
        """Until the CSMS has accepted the station on an open connection."""
        await self.lifecycle.accepted.wait()

    # -- what the UI changes ----------------------------------------------------------------

    def set_supervision_url(self, url: str) -> None:
        """The CSMS of the next connection (the TS simulator's setSupervisionUrl: the open
        connection, if any, stays where it is). With supervisionUrlOcppConfiguration the OCPP
        key holds it, so GetConfiguration shows the change."""
        if self.template.supervision_url_ocpp_configuration:
            self.configuration.set(self.template.supervision_url_ocpp_key, url)
        self.supervision_url = url
        self.changed(supervisionUrl=url)

    def set_connector_locked(self, connector_id: int, locked: bool) -> None:
        connector = self.connectors.get(connector_id)
        if connector is None or connector_id == 0:
            raise ValueError(f"no connector {connector_id}")
        connector.locked = locked
        self.connectors_changed()
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
        self.connectors_changed()

    # -- the lifecycle (lifecycle.py) -------------------------------------------------------

    @property
    def connections(self) -> int:
        """WebSocket connections opened; all but the first are reconnections."""
        return self.lifecycle.connections

    async def start(self) -> None:
        await self.lifecycle.start()

    async def stop(self) -> None:
        """Close the connection (code 1000) and stop every task of the station."""
        await self.lifecycle.stop()

    async def open_connection(self) -> None:
        await self.lifecycle.open()

    async def close_connection(self) -> None:
        """Close on purpose: the station stays offline until open_connection()."""
        await self.lifecycle.close()

    async def reset(self, kind: str) -> None:
        await self.lifecycle.reboot(kind)

    def rebooting(self, reason: str) -> None:
        """Why the next boot happens, where the version says it (2.0.1 BootReasonEnumType)."""
        self.adapter.rebooting(reason)

    def reload_spec(self, spec: StationSpec) -> None:
        self.lifecycle.reload_spec(spec)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A task of the station: cancelled by stop(), its failure logged."""
        return self.lifecycle.spawn(coroutine)

    # -- the wire (dispatch.py, the adapter) ------------------------------------------------

    async def _handle_call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.dispatch.handle(action, payload)

    @property
    def pending(self) -> bool:
        """The CSMS's last answer to the boot was Pending."""
        return self.adapter.pending(self.boot_response)

    def outgoing_supported(self, action: str) -> bool:
        return dispatch.outgoing_supported(self.template, action)

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The one path of every message the station sends."""
        if not self.outgoing_supported(action):
            raise dispatch.disabled(action)
        session = self.lifecycle.session
        if session is None or session.closed:
            raise ConnectionLost(action)
        return await session.call(action, payload)

    def boot_answered(self, response: dict[str, Any]) -> None:
        self.boot_response = response
        self.changed(bootNotificationResponse=response)

    def boot_payload(self) -> dict[str, Any]:
        return self.adapter.boot_payload()

    async def boot_notification(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """A registration on demand; its answer becomes the station's boot response."""
        return await self.adapter.boot_notification(overrides)

    async def heartbeat(self) -> dict[str, Any]:
        return await self.adapter.heartbeat()

    async def data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> dict[str, Any]:
        return await self.adapter.data_transfer(vendor_id, message_id, data)

    async def send_triggered(self, action: str, connector_id: int | None) -> None:
        await self.adapter.send_triggered(action, connector_id)

    async def send_status(self, connector_id: int, *, report: bool = False) -> None:
        """The connector's status to the CSMS, as its version's rules allow (`report`: as it
        is, after a boot or on request)."""
        await self.adapter.connector_changed(connector_id, report=report)

    async def change_status(self, connector_id: int, status: str) -> bool:
        return await connector_status.change_status(self, connector_id, status)

    async def report_problem(self, error_code: str, info: str) -> None:
        await self.adapter.report_problem(error_code, info)

    async def triggered_transaction_event(self, connector_id: int) -> None:
        """An update of the connector's transaction now (a CSMS's TriggerMessage)."""
        await self.transactions.report_now(connector_id)

    async def send_transaction_event(self, connector_id: int, fields: dict[str, Any]) -> None:
        """An update of the connector's transaction with the UI's fields (transactionEvent)."""
        await self.transactions.report_now(connector_id, fields)

    async def start_local(self, connector_id: int, token: IdToken) -> Verdict:
        """A start asked at the station (the UI's startTransaction), by its version's path."""
        return await self.adapter.start_local(connector_id, token)


__all__ = [
    "CLOSED",
    "CLOSING",
    "CONNECTING",
    "OPEN",
    "ChargingStation",
    "RegistrationRefused",
]
