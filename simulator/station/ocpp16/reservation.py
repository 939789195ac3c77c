"""Reservation profile (OCPP 1.6 sections 5.1, 5.13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.station.ocpp16.routing import on

if TYPE_CHECKING:
    from simulator.station.station import ChargingStation


@on("ReserveNow")
async def reserve_now(station: ChargingStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.13: Accepted, Faulted, Occupied, Rejected or Unavailable."""
    return {"status": await station.reservations.reserve(payload)}


@on("CancelReservation")
async def cancel_reservation(station: ChargingStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.1: Accepted when the station has the reservation, else Rejected."""
    cancelled = station.reservations.cancel(payload["reservationId"])
    return {"status": "Accepted" if cancelled else "Rejected"}
