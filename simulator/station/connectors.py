"""Connector state as the UI and the CSMS see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.station.meter_values import MeterState


@dataclass(slots=True)
class ConnectorState:
    connector_id: int
    status: str = "Available"
    availability: str = "Operative"
    # A ChangeAvailability answered Scheduled (section 5.2): applied when the transaction ends.
    scheduled_availability: str | None = None
    error_code: str = "NoError"
    locked: bool = False
    # The running transaction; transaction_id is None until the CSMS gave one.
    transaction_started: bool = False
    transaction_id: int | None = None
    transaction_id_tag: str | None = None
    meter_start: int = 0
    # The meter: kept across transactions (and reconnects) so the register never goes back.
    meter: MeterState = field(default_factory=MeterState)
    last_metered: float = 0.0  # clock.monotonic() of the last meter advance
    # StopTransaction.transactionData collected during the transaction (transactionDataMeterValues).
    transaction_data: list[dict[str, Any]] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {
            "connectorId": self.connector_id,
            "connectorStatus": {
                "status": self.status,
                "availability": self.availability,
                "errorCode": self.error_code,
            },
            "transactionStarted": self.transaction_started,
            "transactionId": self.transaction_id,
            "transactionIdTag": self.transaction_id_tag,
            "energyActiveImportRegisterValue": round(self.meter.register_wh, 2),
            "transactionEnergyActiveImportRegisterValue": round(self.meter.session_wh, 2),
            "locked": self.locked,  # set from the UI: lockConnector / unlockConnector
        }
