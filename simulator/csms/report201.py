"""What a conformance-minded CSMS checks of a 2.0.1 station's TransactionEvents, per transaction.

Per transactionId (station-made, so keyed with the station): seqNo 0 in Started, rising by one
per event (P2 E 1.3.2.1, E04.FR.04); a Started first, one Ended last and nothing after it;
the energy register never going back; events made offline counted (E04.FR.03). A seqNo missing
between two events both flagged `offline` is counted as dropped, not as an anomaly: a station
low on memory may drop intermediate Updated events made offline (E04.FR.07/08), and that flag is
all it tells the CSMS about it. An event received again (same transactionId and seqNo) is a
retransmission when the CSMS recognises them; otherwise, received again after its answer left,
it is a duplicate (answers.py).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.csms.answers import AnswerLedger, Seen

ACTION = "TransactionEvent"
STARTED = "Started"
ENDED = "Ended"
ENERGY_REGISTER = "Energy.Active.Import.Register"
_UNIT_FACTORS = {"Wh": 1.0, "kWh": 1000.0}

JsonObject = dict[str, Any]
Count = Callable[[str, str], None]  # (station id, what)


def energy_register_wh(meter_values: Iterable[Mapping[str, Any]]) -> float | None:
    """Last Energy.Active.Import.Register reading in Wh of 2.0.1 `meterValue` entries (camelCase).

    Per-phase readings are skipped (not the register total); `unitOfMeasure` defaults to Wh with
    multiplier 0 (P2 2.51 UnitOfMeasureType); a unit that is not energy leaves the value out.
    """
    last: float | None = None
    for meter_value in meter_values:
        for sample in meter_value.get("sampledValue", ()):
            if sample.get("measurand", ENERGY_REGISTER) != ENERGY_REGISTER:
                continue
            if sample.get("phase") is not None:
                continue
            unit = sample.get("unitOfMeasure", {})
            factor = _UNIT_FACTORS.get(unit.get("unit", "Wh"))
            if factor is None:
                continue
            last = float(sample["value"]) * factor * 10.0 ** unit.get("multiplier", 0)
    return last


@dataclass(slots=True)
class EventTransaction:
    """One transaction as its TransactionEvents told it."""

    station_id: str
    transaction_id: str
    evse_id: int | None = None
    id_token: str | None = None
    started: bool = False
    ended: bool = False
    events: int = 0
    offline_events: int = 0
    last_seq_no: int | None = None
    last_offline: bool = False
    missing_seq_nos: int = 0  # gaps the station did not explain: anomalies
    dropped_seq_nos: int = 0  # gaps between offline events (E04.FR.07)
    start_timestamp: str | None = None
    end_timestamp: str | None = None
    charging_state: str | None = None
    stopped_reason: str | None = None
    last_energy_wh: float | None = None
    seq_nos: set[int] = field(default_factory=set)

    def to_json(self) -> JsonObject:
        return {
            "transactionId": self.transaction_id,
            "station": self.station_id,
            "evseId": self.evse_id,
            "idToken": self.id_token,
            "started": self.started,
            "ended": self.ended,
            "events": self.events,
            "offlineEvents": self.offline_events,
            "lastSeqNo": self.last_seq_no,
            "missingSeqNos": self.missing_seq_nos,
            "droppedSeqNos": self.dropped_seq_nos,
            "startTimestamp": self.start_timestamp,
            "endTimestamp": self.end_timestamp,
            "chargingState": self.charging_state,
            "stoppedReason": self.stopped_reason,
            "lastEnergyWh": self.last_energy_wh,
        }


class TransactionEvents:
    """The TransactionEvents of every 2.0.1 station; anomalies and retransmissions are counted
    through the callables (the station records live in report.py)."""

    def __init__(
        self, *, recognise_retransmissions: bool, anomaly: Count, retransmission: Count
    ) -> None:
        self._ledger = None if recognise_retransmissions else AnswerLedger()
        self._anomaly = anomaly
        self._retransmission = retransmission
        self.transactions: dict[tuple[str, str], EventTransaction] = {}

    def _flag(self, station_id: str, what: str) -> None:
        self._anomaly(station_id, f"{ACTION}.{what}")

    def record(self, station_id: str, payload: Mapping[str, Any]) -> int:
        """Check and book one TransactionEventRequest (camelCase, schema-valid); returns its
        key for `answered`."""
        info = payload["transactionInfo"]
        transaction_id = str(info["transactionId"])
        seq_no = int(payload["seqNo"])
        key = hash((station_id, transaction_id, seq_no))
        record = self.transactions.get((station_id, transaction_id))
        if record is not None and seq_no in record.seq_nos:
            if self._ledger is not None and self._ledger.seen(key) is Seen.DUPLICATE:
                self._flag(station_id, "duplicate")
            else:
                self._retransmission(station_id, ACTION)
            return key
        if record is None:
            record = EventTransaction(station_id, transaction_id)
            self.transactions[(station_id, transaction_id)] = record
        self._book(record, payload, info, seq_no)
        return key

    def answered(self, key: int, sent: bool) -> None:
        if self._ledger is None:
            return
        if sent:
            self._ledger.answered(key)
        else:
            self._ledger.unanswered(key)

    def _book(
        self,
        record: EventTransaction,
        payload: Mapping[str, Any],
        info: Mapping[str, Any],
        seq_no: int,
    ) -> None:
        station_id = record.station_id
        event_type = payload["eventType"]
        offline = bool(payload.get("offline", False))
        record.seq_nos.add(seq_no)
        record.events += 1
        record.offline_events += offline
        if record.ended:
            self._flag(station_id, "afterEnded")
        if event_type == STARTED:
            if record.started:
                self._flag(station_id, "startedTwice")
            elif record.events > 1:
                self._flag(station_id, "startedAfterOtherEvents")
            if seq_no != 0:
                self._flag(station_id, "seqNoNotZeroAtStart")
            record.started = True
            record.start_timestamp = payload["timestamp"]
        elif record.events == 1:
            self._flag(station_id, "withoutStarted")
        if event_type == ENDED:
            record.ended = True
            record.end_timestamp = payload["timestamp"]
            record.stopped_reason = info.get("stoppedReason", "Local")
        self._sequence(record, seq_no, offline)
        if "evse" in payload:
            record.evse_id = int(payload["evse"]["id"])
        if "idToken" in payload:
            record.id_token = str(payload["idToken"]["idToken"])
        if "chargingState" in info:
            record.charging_state = info["chargingState"]
        energy = energy_register_wh(payload.get("meterValue", ()))
        if energy is not None:
            if record.last_energy_wh is not None and energy < record.last_energy_wh:
                self._flag(station_id, "energyDecreased")
            record.last_energy_wh = energy

    def _sequence(self, record: EventTransaction, seq_no: int, offline: bool) -> None:
        last = record.last_seq_no
        if last is not None and seq_no < last:
            self._flag(record.station_id, "seqNoBackwards")
            return
        if last is not None and seq_no > last + 1:
            missing = seq_no - last - 1
            if offline and record.last_offline:
                record.dropped_seq_nos += missing
            else:
                record.missing_seq_nos += missing
                self._flag(record.station_id, "seqNoGap")
        record.last_seq_no = seq_no
        record.last_offline = offline

    def totals(self) -> JsonObject:
        records = self.transactions.values()
        return {
            "transactions201": len(self.transactions),
            "openTransactions201": sum(1 for t in records if not t.ended),
            "offlineTransactionEvents": sum(t.offline_events for t in records),
        }

    def to_json(self) -> list[JsonObject]:
        return [t.to_json() for t in self.transactions.values()]
