"""Remote trigger profile (OCPP 1.6 section 5.17)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.station.ocpp16.routing import on

if TYPE_CHECKING:
    from simulator.station.station import ChargingStation

# The messages the spine can send on demand; the rest of the profile arrives with issue 3.
_TRIGGERABLE = ("BootNotification", "Heartbeat", "StatusNotification")


@on("TriggerMessage")
async def trigger_message(station: ChargingStation, payload: dict[str, Any]) -> dict[str, Any]:
    requested = payload["requestedMessage"]
    connector_id = payload.get("connectorId")
    if connector_id is not None and connector_id not in station.connectors:
        return {"status": "Rejected"}
    if requested not in _TRIGGERABLE:
        return {"status": "NotImplemented"}
    # The answer goes out first; the triggered message follows (section 5.17).
    station.spawn(station.send_triggered(requested, connector_id))
    return {"status": "Accepted"}
