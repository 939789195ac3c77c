"""What the central system saw: per-station counters, transactions, and the JSON report file.

Records are mutated in place by the handlers on the event loop; `Report.revision` moves on every
change so the writer knows when a rewrite is due. Transactions keep a cached JSON view that is
replaced (never mutated) on change, which makes a snapshot safe to serialise in a worker thread.
"""

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from loguru import logger

from simulator.atomic_file import write_atomic
from simulator.csms.answers import AnswerLedger, Seen, fingerprint
from simulator.csms.clock import Clock, iso_utc, utc_now
from simulator.csms.report201 import TransactionEvents

ENERGY_REGISTER = "Energy.Active.Import.Register"
# The spec's default when a sampledValue omits these fields.
_DEFAULT_MEASURAND = ENERGY_REGISTER
_DEFAULT_STOP_REASON = "Local"
_ACCEPTED = "Accepted"

JsonObject = dict[str, Any]


class ReceivedMessage(NamedTuple):
    """One CALL received from a station, as sent (camelCase payload, not copied)."""

    action: str
    payload: Mapping[str, Any]
    time: datetime


@dataclass(slots=True)
class StationRecord:
    station_id: str
    ocpp_version: str = "1.6"
    connected: bool = False
    connections: int = 0
    boots: int = 0
    boot_status: str | None = None
    last_seen: datetime | None = None
    received: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    connectors: dict[int, str] = field(default_factory=dict)
    # 2.0.1 connector statuses by (evseId, connectorId).
    evse_connectors: dict[tuple[int, int], str] = field(default_factory=dict)
    anomalies: dict[str, int] = field(default_factory=dict)
    # Messages received again after their answer was lost (OCPP 1.6 section 3.7: a station
    # sends a transaction message again until it has the answer); not anomalies.
    retransmissions: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            "ocppVersion": self.ocpp_version,
            "connected": self.connected,
            "connections": self.connections,
            "boots": self.boots,
            "bootStatus": self.boot_status,
            "lastSeen": iso_utc(self.last_seen) if self.last_seen else None,
            "received": dict(self.received),
            "sent": dict(self.sent),
            "connectors": {str(k): v for k, v in sorted(self.connectors.items())},
            "evseConnectors": {f"{e}/{c}": v for (e, c), v in sorted(self.evse_connectors.items())},
            "anomalies": dict(self.anomalies),
            "retransmissions": dict(self.retransmissions),
        }


@dataclass(slots=True)
class TransactionRecord:
    id: int
    station_id: str
    connector_id: int
    id_tag: str
    id_tag_status: str
    meter_start: int
    start_timestamp: str
    meter_stop: int | None = None
    stop_timestamp: str | None = None
    stop_reason: str | None = None
    meter_values: int = 0
    last_energy_wh: float | None = None

    @property
    def stopped(self) -> bool:
        return self.stop_timestamp is not None

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "station": self.station_id,
            "connector": self.connector_id,
            "idTag": self.id_tag,
            "idTagStatus": self.id_tag_status,
            "meterStart": self.meter_start,
            "meterStop": self.meter_stop,
            "startTimestamp": self.start_timestamp,
            "stopTimestamp": self.stop_timestamp,
            "stopReason": self.stop_reason,
            "meterValues": self.meter_values,
            "lastEnergyWh": self.last_energy_wh,
        }


def energy_register_wh(meter_values: Iterable[Mapping[str, Any]]) -> float | None:
    """Last Energy.Active.Import.Register reading in Wh, from snake_case `meter_value` entries.

    Per-phase readings are skipped (they are not the register total), as are non-numeric
    values (signed data). kWh readings are converted so transactions compare in one unit.
    """
    last: float | None = None
    for meter_value in meter_values:
        for sample in meter_value.get("sampled_value", ()):
            if sample.get("measurand", _DEFAULT_MEASURAND) != ENERGY_REGISTER:
                continue
            if sample.get("phase") is not None:
                continue
            try:
                value = float(sample["value"])
            except (KeyError, TypeError, ValueError):
                continue
            last = value * 1000.0 if sample.get("unit") == "kWh" else value
    return last


class Report:
    """Everything recorded by one CentralSystem, kept across its stop/start cycles.

    `recognise_retransmissions` false: every StartTransaction gets a new id, and a transaction
    message received again after its answer left is an anomaly (`<action>.duplicate`), as a
    CSMS that keeps no such matching would end up with (answers.py). A start whose answer could
    not be sent is withdrawn then: the station never learnt its id and sends it again."""

    def __init__(self, clock: Clock = utc_now, *, recognise_retransmissions: bool = True) -> None:
        self._clock = clock
        self.recognise_retransmissions = recognise_retransmissions
        self._ledger = None if recognise_retransmissions else AnswerLedger()
        self.stations: dict[str, StationRecord] = {}
        self.transactions: dict[int, TransactionRecord] = {}
        # (station, connector, idTag, timestamp, meterStart) -> transaction id: a StartTransaction
        # received again gets the id it got the first time.
        self._starts: dict[tuple[str, int, str, str, int], int] = {}
        self.revision = 0
        self.messages = 0
        # Stations whose last boot was Accepted, kept as a count so waiting for thousands of
        # stations to boot does not rescan them all on every message.
        self.booted = 0
        self._last_transaction_id = 0
        self._transaction_json: dict[int, JsonObject] = {}
        self.transaction_events = TransactionEvents(
            recognise_retransmissions=recognise_retransmissions,
            anomaly=self.record_anomaly,
            retransmission=self.record_retransmission,
        )

    def station(self, station_id: str) -> StationRecord:
        record = self.stations.get(station_id)
        if record is None:
            record = self.stations[station_id] = StationRecord(station_id)
        return record

    def record_connected(self, station_id: str, ocpp_version: str = "1.6") -> None:
        record = self.station(station_id)
        record.ocpp_version = ocpp_version
        record.connected = True
        record.connections += 1
        self.revision += 1

    def record_disconnected(self, station_id: str) -> None:
        self.station(station_id).connected = False
        self.revision += 1

    def record_received(self, station_id: str, action: str, time: datetime) -> None:
        record = self.station(station_id)
        record.received[action] = record.received.get(action, 0) + 1
        record.last_seen = time
        self.messages += 1
        self.revision += 1

    def record_sent(self, station_id: str, action: str) -> None:
        record = self.station(station_id)
        record.sent[action] = record.sent.get(action, 0) + 1
        self.revision += 1

    def record_anomaly(self, station_id: str, what: str) -> None:
        """Count something a correct station should not do (kept, not rejected)."""
        record = self.station(station_id)
        record.anomalies[what] = record.anomalies.get(what, 0) + 1
        self.revision += 1

    def record_boot(self, station_id: str, status: str) -> None:
        record = self.station(station_id)
        was_accepted = record.boot_status == _ACCEPTED
        record.boots += 1
        record.boot_status = status
        self.booted += (status == _ACCEPTED) - was_accepted
        self.revision += 1

    def record_status(self, station_id: str, connector_id: int, status: str) -> None:
        self.station(station_id).connectors[connector_id] = status
        self.revision += 1

    def record_evse_status(
        self, station_id: str, evse_id: int, connector_id: int, status: str
    ) -> None:
        self.station(station_id).evse_connectors[(evse_id, connector_id)] = status
        self.revision += 1

    def transaction_event(self, station_id: str, payload: Mapping[str, Any]) -> int:
        """Book a 2.0.1 TransactionEventRequest (report201.py); the key is for
        `transaction_event_answered`."""
        key = self.transaction_events.record(station_id, payload)
        self.revision += 1
        return key

    def transaction_event_answered(self, key: int, sent: bool) -> None:
        self.transaction_events.answered(key, sent)

    def record_retransmission(self, station_id: str, action: str) -> None:
        record = self.station(station_id)
        record.retransmissions[action] = record.retransmissions.get(action, 0) + 1
        self.revision += 1

    def start_transaction(
        self,
        station_id: str,
        *,
        connector_id: int,
        id_tag: str,
        id_tag_status: str,
        meter_start: int,
        timestamp: str,
    ) -> TransactionRecord:
        key = (station_id, connector_id, id_tag, timestamp, meter_start)
        known = self._starts.get(key) if self._ledger is None else None
        if known is not None:
            self.record_retransmission(station_id, "StartTransaction")
            return self.transactions[known]
        # Ids are unique across the whole CSMS, and across restarts of one instance.
        self._last_transaction_id += 1
        record = TransactionRecord(
            id=self._last_transaction_id,
            station_id=station_id,
            connector_id=connector_id,
            id_tag=id_tag,
            id_tag_status=id_tag_status,
            meter_start=meter_start,
            start_timestamp=timestamp,
        )
        self.transactions[record.id] = record
        if self._ledger is None:
            self._starts[key] = record.id
        self.revision += 1
        return record

    def transaction_message(
        self, station_id: str, action: str, payload: Mapping[str, Any]
    ) -> int | None:
        """Without recognise_retransmissions: a received transaction message's fingerprint,
        for `answer_sent` / `answer_lost`, its repetition counted; else None."""
        if self._ledger is None:
            return None
        key = fingerprint(station_id, action, payload)
        if key is not None:
            seen = self._ledger.seen(key)
            if seen is Seen.DUPLICATE:
                self.record_anomaly(station_id, f"{action}.duplicate")
            elif seen is Seen.RETRANSMISSION:
                self.record_retransmission(station_id, action)
        return key

    def answer_sent(self, key: int | None) -> None:
        if self._ledger is not None and key is not None:
            self._ledger.answered(key)

    def answer_lost(self, key: int | None, started: TransactionRecord | None) -> None:
        """The answer to the message `key` could not be sent; `started`: the transaction its
        StartTransaction began, withdrawn when transactions are not matched to retransmissions
        (the station never learnt its id: it sends the start again)."""
        if self._ledger is None or key is None:
            return
        self._ledger.unanswered(key)
        if started is not None and self.transactions.get(started.id) is started:
            del self.transactions[started.id]
            self._transaction_json.pop(started.id, None)
            self.revision += 1

    def _own_transaction(
        self, station_id: str, transaction_id: int, action: str
    ) -> TransactionRecord | None:
        record = self.transactions.get(transaction_id)
        if record is None or record.station_id != station_id:
            self.record_anomaly(station_id, f"{action}.unknownTransaction")
            return None
        return record

    def add_meter_values(
        self, station_id: str, transaction_id: int, energy_wh: float | None
    ) -> None:
        record = self._own_transaction(station_id, transaction_id, "MeterValues")
        if record is None:
            return
        record.meter_values += 1
        if energy_wh is not None:
            self._energy(record, energy_wh)
        self._transaction_json.pop(transaction_id, None)
        self.revision += 1

    def stop_transaction(
        self,
        station_id: str,
        transaction_id: int,
        *,
        meter_stop: int,
        timestamp: str,
        reason: str | None,
        energy_wh: float | None,
    ) -> None:
        record = self._own_transaction(station_id, transaction_id, "StopTransaction")
        if record is None:
            return
        if record.stopped:
            if (record.meter_stop, record.stop_timestamp) == (meter_stop, timestamp):
                # The same stop again: its answer was lost (without recognise_retransmissions,
                # transaction_message has counted it).
                if self._ledger is None:
                    self.record_retransmission(station_id, "StopTransaction")
            else:
                self.record_anomaly(station_id, "StopTransaction.alreadyStopped")
            return
        record.meter_stop = meter_stop
        record.stop_timestamp = timestamp
        record.stop_reason = reason or _DEFAULT_STOP_REASON
        if energy_wh is not None:
            self._energy(record, energy_wh)
        self._transaction_json.pop(transaction_id, None)
        self.revision += 1

    def _energy(self, record: TransactionRecord, energy_wh: float) -> None:
        if record.last_energy_wh is not None and energy_wh < record.last_energy_wh:
            # A register never goes back: a lost, reordered or invented reading.
            self.record_anomaly(record.station_id, "MeterValues.energyDecreased")
        record.last_energy_wh = energy_wh

    def _transaction_view(self, record: TransactionRecord) -> JsonObject:
        view = self._transaction_json.get(record.id)
        if view is None:
            view = self._transaction_json[record.id] = record.to_json()
        return view

    def to_json(self) -> JsonObject:
        """A snapshot that shares no mutable state with the live records."""
        open_transactions = sum(1 for t in self.transactions.values() if not t.stopped)
        return {
            "generatedAt": iso_utc(self._clock()),
            "recognisesRetransmissions": self.recognise_retransmissions,
            "totals": {
                "stations": len(self.stations),
                "connected": sum(1 for s in self.stations.values() if s.connected),
                "booted": self.booted,
                "messages": self.messages,
                "transactions": len(self.transactions),
                "openTransactions": open_transactions,
                **self.transaction_events.totals(),
            },
            "stations": {sid: s.to_json() for sid, s in sorted(self.stations.items())},
            "transactions": [self._transaction_view(t) for t in self.transactions.values()],
            "transactions201": self.transaction_events.to_json(),
        }


def write_json_atomic(path: Path, data: JsonObject) -> None:
    """Replace `path` in one rename, so a reader never sees a half-written report."""
    write_atomic(path, orjson.dumps(data, option=orjson.OPT_INDENT_2))


class ReportWriter:
    """Rewrites the report file at most once per `interval` when it changed, off the loop."""

    def __init__(self, report: Report, path: Path, interval: float = 1.0) -> None:
        self._report = report
        self._path = path
        self._interval = interval
        self._written_revision: int | None = None
        self._stopping: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Write once now, so a bad path fails at start-up, then keep the file current."""
        await self._write()
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(self._stopping), name="csms-report-writer")

    async def stop(self) -> None:
        """Let an in-flight write finish (cancelling it could race an older snapshot
        past the final one), then write the final state."""
        if self._task is None or self._stopping is None:
            return
        self._stopping.set()
        await self._task
        self._task = None
        try:
            await self._write()
        except OSError as error:
            logger.error("cannot write report {}: {}", self._path, error)

    async def _run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._interval)
            if stopping.is_set():
                return
            if self._report.revision != self._written_revision:
                try:
                    await self._write()
                except OSError as error:
                    logger.error("cannot write report {}: {}", self._path, error)

    async def _write(self) -> None:
        revision = self._report.revision
        await asyncio.to_thread(write_json_atomic, self._path, self._report.to_json())
        self._written_revision = revision
