"""Reservation profile (OCPP 1.6 sections 5.1, 5.13)."""

from __future__ import annotations

from typing import Any

from simulator.station.ocpp16.ports import ReservationStation


async def reserve_now(station: ReservationStation, payload: dict[str, Any]) -> dict[str, Any]:
    """Section 5.13: Accepted, Faulted, Occupied, Rejected or Unavailable."""
    return {"status": await station.reservations.reserve(payload)}


async def cancel_reservation(
    station: ReservationStation, payload: dict[str, Any]
) -> dict[str, Any]:
    """Section 5.1: Accepted when the station has the reservation, else Rejected."""
    cancelled = station.reservations.cancel(payload["reservationId"])
    return {"status": "Accepted" if cancelled else "Rejected"}
