"""Smart charging profile (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16): the core's `SmartCharging`
taking and giving csChargingProfiles through the codec, and the handlers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.station.core.limits import ProfileStatus
from simulator.station.core.smart_charging import SmartCharging
from simulator.station.frames import ErrorCode, OcppError
from simulator.station.ocpp16.ports import ChargingProfileStation
from simulator.station.ocpp16.profile_codec import (
    composite_schedule_wire,
    profile_from_wire,
    purpose_of,
    restored_profiles,
    stored_profiles,
)


class SmartCharging16(SmartCharging):
    """`SmartCharging` reading SetChargingProfile.req and RemoteStartTransaction.req profiles,
    giving the composite as a ChargingSchedule and persisting the profiles in their 1.6 form
    (the state document's chargingProfiles, byte for byte as before the core)."""

    def set_profile(self, connector_id: int, profile: Mapping[str, Any]) -> ProfileStatus:
        """SetChargingProfile.req (section 5.16) on a known connector."""
        return self.install(profile_from_wire(connector_id, profile))

    def install_tx_profile(self, connector_id: int, profile: Mapping[str, Any]) -> ProfileStatus:
        """The TxProfile of a RemoteStartTransaction.req (section 5.16.2)."""
        return self.install_for_start(profile_from_wire(connector_id, profile))

    def composite(self, connector_id: int, duration: int, unit: str) -> dict[str, Any]:
        """GetCompositeSchedule.conf's chargingSchedule (section 5.7), from now."""
        schedule = self.composite_schedule(connector_id, duration)
        return composite_schedule_wire(schedule, unit, self.electrical())

    def as_data(self) -> list[dict[str, Any]]:
        return stored_profiles(self.profiles)

    def restore(self, data: list[dict[str, Any]]) -> None:
        self.restore_profiles(restored_profiles(data))


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
    profile = profile_from_wire(connector_id, payload["csChargingProfiles"])
    return {"status": station.smart_charging.install(profile).value}


async def clear_charging_profile(
    station: ChargingProfileStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Section 5.5 with errata 3.25: Accepted when a profile was cleared, else Unknown."""
    _require_support(station, "ClearChargingProfile")
    cleared = station.smart_charging.clear(
        profile_id=payload.get("id"),
        connector_id=payload.get("connectorId"),
        purpose=purpose_of(payload.get("chargingProfilePurpose")),
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
    smart_charging = station.smart_charging
    allowed = smart_charging.allowed_units()
    unit = payload.get("chargingRateUnit") or ("A" if "A" in allowed or not allowed else "W")
    composite = smart_charging.composite_schedule(connector_id, payload["duration"])
    schedule = composite_schedule_wire(composite, unit, smart_charging.electrical())
    return {
        "status": "Accepted",
        "connectorId": connector_id,
        "scheduleStart": schedule["startSchedule"],
        "chargingSchedule": schedule,
    }


__all__ = [
    "SmartCharging16",
    "clear_charging_profile",
    "get_composite_schedule",
    "set_charging_profile",
]
