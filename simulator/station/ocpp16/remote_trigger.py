"""Remote trigger profile (OCPP 1.6 section 5.17)."""

from __future__ import annotations

from typing import Any

from simulator.station.clock import iso_timestamp
from simulator.station.core.metering import ENERGY
from simulator.station.ocpp16.ports import TriggerStation
from simulator.station.ocpp16.sample_format import meter_value

TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    }
)


def trigger_answer(requested: str, connector_id: int | None, connectors: frozenset[int]) -> str:
    """TriggerMessage.conf's status: Rejected for a connector the station does not have,
    NotImplemented for a message it cannot send on demand, else Accepted."""
    if connector_id is not None and connector_id not in connectors:
        return "Rejected"
    if requested not in TRIGGERABLE:
        return "NotImplemented"
    return "Accepted"


async def trigger_message(station: TriggerStation, payload: dict[str, Any]) -> dict[str, Any]:
    requested = payload["requestedMessage"]
    connector_id = payload.get("connectorId")
    answer = trigger_answer(requested, connector_id, frozenset(station.connectors))
    if answer == "Accepted":
        # The answer goes out first; the triggered message follows (section 5.17).
        station.spawn(_send(station, requested, connector_id))
    return {"status": answer}


async def _send(station: TriggerStation, requested: str, connector_id: int | None) -> None:
    if requested == "MeterValues":
        await send_meter_values(station, connector_id)
    elif requested == "DiagnosticsStatusNotification":
        # The upload's status, Idle when none runs (section 4.4).
        await station.call("DiagnosticsStatusNotification", {"status": station.diagnostics_status})
    elif requested == "FirmwareStatusNotification":
        # The update's status, Idle when none runs (section 4.5).
        await station.call("FirmwareStatusNotification", {"status": station.firmware_status})
    else:
        await station.send_triggered(requested, connector_id)


async def send_meter_values(station: TriggerStation, connector_id: int | None) -> None:
    """MeterValues.req of the connector (every connector for none or 0) with the most recent
    values of every MeterValuesSampledData measurand (errata 3.46), context Trigger, and the
    running transaction's id."""
    transactions = station.transactions
    measurands = station.configuration.get("MeterValuesSampledData") or ENERGY
    ids = sorted(transactions.models) if connector_id in (None, 0) else [connector_id]
    for cid in ids:
        if cid not in transactions.models:
            continue
        model = transactions.models[cid]
        reading = transactions.advance(cid)
        sampled = model.sampled_values(measurands, reading, "Trigger")
        if not sampled:
            continue  # sampledValue needs one entry at least (MeterValues.req schema)
        request: dict[str, Any] = {
            "connectorId": cid,
            "meterValue": [meter_value(iso_timestamp(station.clock.now()), sampled)],
        }
        transaction_id = station.connectors[cid].transaction_id
        if transaction_id is not None:
            request["transactionId"] = transaction_id
        await station.call("MeterValues", request)
