"""Connector state as the UI and the CSMS see it, in core terms (connector numbers, the
station's transaction reference, the meter)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from simulator.station.core.metering import MeterState


@dataclass(slots=True)
class ConnectorState:
    connector_id: int
    status: str = "Available"
    boot_status: str | None = None  # the template's Connectors.N.bootStatus
    availability: str = "Operative"
    # A ChangeAvailability answered Scheduled (section 5.2): applied when the transaction ends.
    scheduled_availability: str | None = None
    error_code: str = "NoError"
    locked: bool = False
    # An EV cable plugged in (evsim's plug model, simulator/station/core/plugs.py); a transaction
    # started without plugConnector counts as plugged (`EvPlugs.ev_plugged`).
    plugged: bool = False
    # The running transaction; transaction_id is None until the CSMS gave one (1.6), the
    # station's own string from the start (2.0.1).
    transaction_started: bool = False
    # The station's own reference of the transaction (core/queue.py): known from the
    # start, when the CSMS's transactionId may still be waiting in the offline queue.
    transaction_ref: int | None = None
    transaction_id: int | str | None = None
    transaction_id_tag: str | None = None
    transaction_start: str | None = None  # the start's timestamp
    meter_start: int = 0
    # The meter: kept across transactions (and reconnects) so the register never goes back.
    meter: MeterState = field(default_factory=MeterState)
    last_metered: float = 0.0  # clock.monotonic() of the last meter advance
    # The samples kept for the transaction's end (transactionDataMeterValues).
    transaction_data: list[dict[str, Any]] = field(default_factory=list)

    def as_data(self, reservation: dict[str, Any] | None = None) -> dict[str, Any]:
        """The connector's entry in ChargingStationData.connectors, in the TypeScript
        simulator's shape (4.11 ConnectorEntry, ConnectorStatus): every field inside
        connectorStatus; optional fields left out while they have no value, as JSON.stringify
        leaves out its undefined ones. `reservation`: the connector's, as ReserveNow.req
        gave it."""
        status: dict[str, Any] = {
            "status": self.status,
            "availability": self.availability,
            "errorCode": self.error_code,
            "transactionStarted": self.transaction_started,
            "energyActiveImportRegisterValue": round(self.meter.register_wh, 2),
            "transactionEnergyActiveImportRegisterValue": round(self.meter.session_wh, 2),
            "locked": self.locked,  # set from the UI: lockConnector / unlockConnector
            "plugged": self.plugged,  # evsim: plugConnector / unplugConnector
        }
        if self.boot_status is not None:
            status["bootStatus"] = self.boot_status
        if self.transaction_started:
            # transactionId waits for the CSMS's answer (offline: in the queue).
            if self.transaction_id is not None:
                status["transactionId"] = self.transaction_id
            if self.transaction_id_tag is not None:
                status["transactionIdTag"] = self.transaction_id_tag
            if self.transaction_start is not None:
                status["transactionStart"] = self.transaction_start
        if reservation is not None:
            status["reservation"] = reservation
        return {"connectorId": self.connector_id, "connectorStatus": status}

    def end_transaction(self) -> None:
        """Back to no transaction; the register stays, the session's energy starts again."""
        self.transaction_started = False
        self.transaction_ref = None
        self.transaction_id = None
        self.transaction_id_tag = None
        self.transaction_start = None
        self.meter_start = 0
        self.transaction_data = []
        self.meter = replace(self.meter, session_wh=0.0)

    def as_state(self) -> dict[str, Any]:
        """What a restart must find again (persistence.py)."""
        state: dict[str, Any] = {
            "connectorId": self.connector_id,
            "status": self.status,
            "availability": self.availability,
            "errorCode": self.error_code,
            "locked": self.locked,
            "meter": _meter_state(self.meter),
        }
        if self.transaction_started:
            state["transaction"] = {
                "ref": self.transaction_ref,
                "id": self.transaction_id,
                "idTag": self.transaction_id_tag,
                "start": self.transaction_start,
                "meterStart": self.meter_start,
                "transactionData": self.transaction_data,
            }
        return state

    def restore(self, state: dict[str, Any], now: float) -> None:
        """A persisted state; `now` (clock.monotonic()) starts the meter again without the
        energy of the time the station was down."""
        self.availability = str(state.get("availability", self.availability))
        self.locked = bool(state.get("locked", self.locked))
        meter = state.get("meter")
        if isinstance(meter, dict):
            self.meter = MeterState(**{k: float(v) for k, v in meter.items()})
        self.last_metered = now
        transaction = state.get("transaction")
        if isinstance(transaction, dict):
            self.transaction_started = True
            self.transaction_ref = transaction.get("ref")
            self.transaction_id = transaction.get("id")
            self.transaction_id_tag = transaction.get("idTag")
            self.transaction_start = transaction.get("start")
            self.meter_start = int(transaction.get("meterStart", 0))
            self.transaction_data = list(transaction.get("transactionData", []))


_METER_FIELDS = tuple(f.name for f in fields(MeterState))


def _meter_state(meter: MeterState) -> dict[str, float]:
    # dataclasses.asdict deep-copies field by field: a tenth of a station's state write.
    return {name: getattr(meter, name) for name in _METER_FIELDS}
