"""Core profile handlers (OCPP 1.6 section 5) that the spine needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.station.ocpp16.routing import on

if TYPE_CHECKING:
    from simulator.station.station import ChargingStation

# DataTransfer (section 5.6): evsim knows no vendor extension, so every vendorId is unknown.


@on("GetConfiguration")
async def get_configuration(station: ChargingStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.8: all visible keys, or the listed ones plus the unknown ones."""
    keys = payload.get("key")
    known, unknown = station.configuration.visible(keys if keys else None)
    response: dict[str, Any] = {"configurationKey": known}
    if unknown:
        response["unknownKey"] = unknown
    return response


@on("ChangeConfiguration")
async def change_configuration(station: ChargingStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.3: Accepted, Rejected (readonly or invalid), RebootRequired or NotSupported."""
    status = station.configuration.change(payload["key"], payload["value"])
    station.configuration_changed(payload["key"])
    return {"status": status.value}


@on("ClearCache")
async def clear_cache(station: ChargingStation, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted"}


@on("DataTransfer")
async def data_transfer(station: ChargingStation, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "UnknownVendorId"}
