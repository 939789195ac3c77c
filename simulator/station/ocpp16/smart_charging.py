"""Smart charging profile (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16)."""

from __future__ import annotations

from typing import Any

from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp16.ports import ChargingProfileStation


def _require_support(station: ChargingProfileStation, action: str) -> None:
    """Errata 3.39: a station without smart charging answers CALLERROR NotSupported."""
    if not station.smart_charging.supported():
        raise OcppError(ErrorCode.NOT_SUPPORTED, f"{action}: SmartCharging is not supported")


async def set_charging_profile(
    station: ChargingProfileStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Section 5.16: Accepted, Rejected or NotSupported (a chargingRateUnit the station does
    not allow); an unknown connector is a PropertyConstraintViolation (errata 3.39)."""
    _require_support(station, "SetChargingProfile")
    connector_id = payload["connectorId"]
    if connector_id not in station.connectors:
        raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"no connector {connector_id}")
    status = station.smart_charging.set_profile(connector_id, payload["csChargingProfiles"])
    return {"status": status.value}


async def clear_charging_profile(
    station: ChargingProfileStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Section 5.5 with errata 3.25: Accepted when a profile was cleared, else Unknown."""
    _require_support(station, "ClearChargingProfile")
    cleared = station.smart_charging.clear(
        profile_id=payload.get("id"),
        connector_id=payload.get("connectorId"),
        purpose=payload.get("chargingProfilePurpose"),
        stack_level=payload.get("stackLevel"),
    )
    return {"status": "Accepted" if cleared else "Unknown"}


async def get_composite_schedule(
    station: ChargingProfileStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Section 5.7: the composite from now for `duration` s; Rejected for an unknown connector.
    Without chargingRateUnit the schedule comes in the station's first allowed unit."""
    _require_support(station, "GetCompositeSchedule")
    connector_id = payload["connectorId"]
    if connector_id not in station.connectors:
        return {"status": "Rejected"}
    allowed = station.smart_charging.allowed_units()
    unit = payload.get("chargingRateUnit") or ("A" if "A" in allowed or not allowed else "W")
    schedule = station.smart_charging.composite(connector_id, payload["duration"], unit)
    return {
        "status": "Accepted",
        "connectorId": connector_id,
        "scheduleStart": schedule["startSchedule"],
        "chargingSchedule": schedule,
    }
